// Package httpapi serves EchoSenseiX's HTTP API on hertz (netpoll transport,
// sonic JSON): authentication, agents, call logs, analytics, the post-call
// webhook, documents and jobs, health, metrics and the authenticated entry of
// the realtime WebSocket. A handler decodes the request, authenticates the
// caller, calls the use cases (package server/app, Deps.App), which own what
// each operation means (validation, stores, cache keys dropped, events
// published), and encodes the answer. Every error leaves as {"error":{"code","message"}}
// with the status mapped from server.ErrorCode in one place (error.go);
// unknown routes answer 404 and wrong methods 405 in the same shape.
//
// Routes (":id" segments are the metric labels, never raw paths):
//
//	GET    /health/live                 always 200 {"status":"ok"}
//	GET    /health/ready                200 ready|degraded; 503 draining or database down
//	GET    /health                      the guide's shape; 503 when unhealthy
//	GET    /metrics                     Prometheus text from Deps.Registry
//	POST   /api/login                   {email,password} -> user + cookie sid
//	POST   /api/logout                  ends the session, clears the cookie
//	GET    /api/auth/user               the session's user (cached)
//	GET    /api/agents                  the organization's agents (cached)
//	POST   /api/agents                  -> 201 agent
//	GET    /api/agents/:id              cached JSON bytes
//	PATCH  /api/agents/:id              partial update
//	DELETE /api/agents/:id              -> 204
//	GET    /api/call-logs               ?agentId=&limit=&cursor= (or page=); the first page at the default limit cached like analytics
//	GET    /api/call-logs/:id
//	GET    /api/analytics/organization  ?agentId= (cached AnalyticsTTL)
//	POST   /api/webhooks/elevenlabs/post-call   signed post-call webhook
//	POST   /api/webhooks/post-call              alias
//	POST   /api/documents               JSON {title,content} or multipart "file" -> 202 {documentId,jobId}
//	POST   /api/documents/upload        alias
//	GET    /api/documents/:id
//	GET    /api/jobs/:id
//	GET    /api/realtime/token          -> {token,expiresAt} for /ws/realtime-sync?token=
//	GET    /ws/realtime-sync            auth (cookie or token), then Deps.Realtime.ServeWS
//
// Each route is registered with its own chain (metrics resolved once,
// panic recovery, body limit), so the request path does no label lookups.
package httpapi
