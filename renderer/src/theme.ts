import { type CSSVariablesResolver, DEFAULT_THEME, type MantineColorsTuple, createTheme } from '@mantine/core';

/**
 * Contrast (WCAG 2.1 AA, held by the window tests with axe-core): filled buttons and badges take
 * black or white text by their colour's luminance (white on the orange was 2.57:1), the primary
 * is the same orange in both themes, and each colour's darkest shade, which is the text of its
 * light variant (the active page, light badges, alert titles), is darkened by a third. Dimmed text
 * is darker in the light theme and lighter in the dark one.
 */
function darker(hex: string, amount: number): string {
  const channel = (index: number) =>
    Math.round(Number.parseInt(hex.slice(index, index + 2), 16) * (1 - amount))
      .toString(16)
      .padStart(2, '0');
  return `#${channel(1)}${channel(3)}${channel(5)}`;
}
const colors = Object.fromEntries(
  Object.entries(DEFAULT_THEME.colors).map(([name, shades]) => {
    const tuple = [...shades];
    tuple[9] = darker(shades[9], 0.33);
    return [name, tuple as unknown as MantineColorsTuple];
  }),
);

export const theme = createTheme({
  primaryColor: 'orange',
  primaryShade: { light: 6, dark: 6 },
  colors,
  autoContrast: true,
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
});

export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': '#5c636a' },
  dark: { '--mantine-color-dimmed': '#a6a6a6' },
});
