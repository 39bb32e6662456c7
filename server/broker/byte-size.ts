/** A byte count in binary units ("1.5 MiB"), as the broker's statistics and alarm messages show it. */
export function bytes(value: number | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let unit = 0;
  while (Math.abs(scaled) >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${unit === 0 ? scaled : scaled.toFixed(1)} ${units[unit]}`;
}
