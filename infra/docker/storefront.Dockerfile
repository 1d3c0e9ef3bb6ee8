# The storefront: the Vue app built in a Node stage, served by nginx, which also proxies /api
# to the backend so the browser sees one origin (the app calls the relative /api).
FROM node:20-slim AS build
WORKDIR /frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM nginx:1.27-alpine
COPY infra/docker/nginx.conf /etc/nginx/conf.d/default.conf
COPY infra/docker/security-headers.conf /etc/nginx/snippets/security-headers.conf
COPY --from=build /frontend/dist /usr/share/nginx/html
EXPOSE 8080
