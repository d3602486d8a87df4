# opsmetrics in server mode: a static binary, no libchdb (the embedded engine
# is for single-node installs; this image talks to a ClickHouse server).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -ldflags "-s -w" -o /opsmetrics ./cmd/opsmetrics

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /opsmetrics /opsmetrics
EXPOSE 8080
ENTRYPOINT ["/opsmetrics"]
CMD ["serve", "--addr", ":8080"]
