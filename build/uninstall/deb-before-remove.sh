#!/bin/sh
# Runs as the deb's prerm (electron-builder.yml: deb.fpm --before-remove), while the app's files
# are still there: takes RabbitMQ MCP's entry out of every user's AI client settings, as that
# user (so each backup is theirs), with the app's own binary as Node. Never fails the removal.
# RABBITMQ_MCP_ROOT is for tests only: a folder standing in for / (its home/, root/ and opt/).

case "$1" in
  remove | purge) ;;
  *) exit 0 ;; # upgrade, deconfigure, failed-upgrade: the app stays, so do its entries
esac

root="${RABBITMQ_MCP_ROOT:-}"
app="$root/opt/RabbitMQ MCP"
binary="$app/rabbitmq-mcp"
script="$app/resources/app/remove-client-entries.mjs"
[ -x "$binary" ] && [ -f "$script" ] || exit 0

# A client settings file is small: a minute is plenty, and an uninstall never hangs on it.
limit() {
  if command -v timeout >/dev/null 2>&1; then timeout 60 "$@"; else "$@"; fi
}

for home in "$root"/root "$root"/home/*; do
  [ -d "$home" ] || continue
  owner=$(stat -c %U "$home" 2>/dev/null) || continue
  [ -n "$owner" ] && [ "$owner" != "UNKNOWN" ] || continue
  if [ "$(id -u)" = 0 ] && [ "$owner" != "$(id -un)" ] && command -v runuser >/dev/null 2>&1; then
    limit runuser -u "$owner" -- env HOME="$home" ELECTRON_RUN_AS_NODE=1 "$binary" "$script" --remove-client-entries || true
  elif [ "$owner" = "$(id -un)" ]; then
    limit env HOME="$home" ELECTRON_RUN_AS_NODE=1 "$binary" "$script" --remove-client-entries || true
  fi
done
exit 0
