# syntax=docker/dockerfile:1
# rabbitmq-mcp-server as a stateless HTTP service (the image holds the server only).
#   docker build -t rabbitmq-mcp-server:0.1.0 .
#   docker run -p 8000:8000 -e AMQP_HOST=rabbit -e AMQP_PASSWORD=… -e MCP_AUTH_TOKEN=… rabbitmq-mcp-server:0.1.0

FROM node:22-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# No install scripts: the server's build needs none, and Electron's would download its binary.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/licences.mjs ./scripts/
COPY server ./server
# The server's bundle alone (no desktop app, no window); source maps stay out of the image.
RUN node scripts/build.mjs server && find dist -name '*.map' -delete

# The bundle has no runtime dependencies: the image holds Node and dist/server only.
FROM node:22-slim
ENV NODE_ENV=production \
    MCP_TRANSPORT=http \
    MCP_HTTP_HOST=0.0.0.0 \
    MCP_HTTP_PORT=8000
WORKDIR /app
COPY --from=build /src/dist/server ./dist/server
USER node
EXPOSE 8000
# The seed's health contract: 200 when AMQP and the management API are reachable, else 503.
# --health-check reads the same settings as the server (MCP_HTTP_PORT, MCP_TLS_CERT…, and the
# options given after the image name), so it follows the port and TLS actually configured.
HEALTHCHECK --interval=5s --timeout=2s --start-period=10s --retries=3 \
  CMD ["node", "dist/server/rabbitmq-mcp-server.mjs", "--health-check"]
# SIGTERM drains in-flight requests and exits within 10 s (docker stop waits 10 s by default).
STOPSIGNAL SIGTERM
# No node flags: the server sets its own heap policy at start (server/config/heap-policy.ts), which
# a flag of the same name given here would override.
ENTRYPOINT ["node", "dist/server/rabbitmq-mcp-server.mjs"]
