// Package deploy holds no code of the server: its tests validate the
// deployment files with their own tools and libraries. docker-compose.yml
// loads under compose-go with no unknown key, mounts only files that exist,
// health-checks every service and publishes every port once; the
// Dockerfile is multi-stage, static, non-root, digest-pinned and stamps the
// version /health reports; every manifest under deploy/k8s strict-decodes
// into the k8s.io/api types and meets Pod Security "restricted", and its
// probes name routes the server serves; nginx -t, haproxy -c and actionlint
// accept the proxy configs and the workflows; promlint finds nothing on the
// server's /metrics but the documented aliases; and the server works
// through PgBouncer in transaction mode.
package deploy
