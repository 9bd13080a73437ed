package httpapi

import (
	"bytes"
	"io"
	"strings"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/protocol"

	"github.com/echosenseix/echosenseix/server"
)

// admission is what a route checks before its handler runs. hertz streams
// request bodies (StreamRequestBody): a handler starts once the head and
// the first min(8 KiB, Content-Length) bytes of the body have arrived (with
// "Expect: 100-continue", once the head has), so a declared Content-Length
// over the route's limit is refused before any more of it is read, and the
// rest of the body is read here, bounded by the limit.
type admission struct {
	limit  int      // bytes of body allowed
	write  bool     // state-changing method: media type, origin, read the body
	types  []string // media types accepted for a non-empty body; nil = any
	origin bool     // check Origin / Sec-Fetch-Site against Config.AllowedOrigins
}

var (
	errTooLarge    = server.Errorf(server.ETOOLARGE, "request body is too large")
	errCrossOrigin = server.Errorf(server.EFORBIDDEN, "cross-origin request refused: Origin is not allowed (ALLOWED_ORIGINS)")
	errBodyRead    = server.Errorf(server.EINVALID, "cannot read request body")
	mediaJSON      = []string{"application/json"}
	mediaDocument  = []string{"application/json", "multipart/form-data"}
)

// bodyLimitOf is the body limit of the route at path, for requests not yet
// routed (the 100-continue decision); it matches the limits routes() passes.
func (s *Server) bodyLimitOf(path []byte) int {
	switch {
	case bytes.HasPrefix(path, []byte("/api/webhooks/")):
		return s.cfg.MaxWebhookSize
	case bytes.HasPrefix(path, []byte("/api/documents")):
		return s.documentLimit()
	}
	return s.cfg.MaxBodySize
}

// continueBody decides an "Expect: 100-continue" request from its head
// alone: a declared body over the route's limit is never asked for (the
// route then answers 413 and closes).
func (s *Server) continueBody(h *protocol.RequestHeader) bool {
	return h.ContentLength() <= s.bodyLimitOf(h.RequestURI())
}

// admissionFor classifies a route when it is registered: safe methods only
// bound the body; webhooks (server to server, signed) skip the media-type
// and origin checks; documents also take multipart; every other write is a
// JSON route checked for origin.
func (s *Server) admissionFor(method, path string, limit int) admission {
	a := admission{limit: limit}
	switch method {
	case "GET", "HEAD", "OPTIONS":
		return a
	}
	a.write = true
	switch {
	case strings.HasPrefix(path, "/api/webhooks/"):
	case strings.HasPrefix(path, "/api/documents"):
		a.types, a.origin = mediaDocument, true
	default:
		a.types, a.origin = mediaJSON, true
	}
	return a
}

// admit applies a to the request. A refusal answers at once, before the
// rest of the body is read, and closes the connection afterwards.
func (s *Server) admit(c *app.RequestContext, a *admission) error {
	req := &c.Request
	if req.Header.ContentLength() > a.limit {
		return s.refuse(c, errTooLarge)
	}
	if !a.write {
		if req.Header.ContentLength() == -1 && req.IsBodyStream() {
			_ = s.refuse(c, nil) // a chunked body on a safe method is never read
		}
		return nil
	}
	if a.types != nil && hasBody(req) && !mediaTypeIn(req.Header.ContentType(), a.types) {
		return s.refuse(c, server.Errorf(server.EMEDIATYPE, "Content-Type must be %s", strings.Join(a.types, " or ")))
	}
	if a.origin && !s.origins.AllowedWrite(req.Header.Peek("Origin"), req.Header.Peek("Sec-Fetch-Site"), req.Header.Host()) {
		return s.refuse(c, errCrossOrigin)
	}
	return s.readBody(c, a.limit)
}

// hasBody reports whether the request declares a body: a Content-Length
// above 0, or a chunked stream (-1 without a stream is a request built in
// process without a body).
func hasBody(req *protocol.Request) bool {
	n := req.Header.ContentLength()
	return n > 0 || (n == -1 && req.IsBodyStream())
}

// refuse marks the connection to close after the answer. The unread body
// of a declared length up to the largest route limit is then discarded by
// hertz as it arrives (memory stays bounded, and the client, still
// sending, reads the answer instead of a connection reset); a larger or
// chunked one is dropped, and the connection closes right after the answer.
func (s *Server) refuse(c *app.RequestContext, err error) error {
	c.SetConnectionClose()
	if n := c.Request.Header.ContentLength(); n == -1 || n > s.maxBody {
		_ = c.Request.CloseBodyStream()
	}
	return err
}

// readBody reads a streamed body into the request (c.Request.Body answers
// it afterwards), refusing more than limit bytes.
func (s *Server) readBody(c *app.RequestContext, limit int) error {
	req := &c.Request
	if !req.IsBodyStream() {
		if len(req.Body()) > limit {
			return s.refuse(c, errTooLarge)
		}
		return nil
	}
	if req.Header.ContentLength() >= 0 { // the stream ends at Content-Length
		b, err := req.BodyE()
		switch {
		case err != nil:
			return s.refuse(c, errBodyRead)
		case len(b) > limit:
			return s.refuse(c, errTooLarge)
		}
		return nil
	}
	return s.readChunked(c, req, limit)
}

// readChunked reads a chunked body of unknown length up to limit+1 bytes.
func (s *Server) readChunked(c *app.RequestContext, req *protocol.Request, limit int) error {
	b, err := io.ReadAll(io.LimitReader(req.BodyStream(), int64(limit)+1))
	switch {
	case err != nil:
		return s.refuse(c, errBodyRead)
	case len(b) > limit:
		return s.refuse(c, errTooLarge)
	}
	req.SetBody(b)
	return nil
}

// mediaTypeIn reports whether the Content-Type header ct names one of
// types, with optional parameters; a charset other than UTF-8 is refused
// (request JSON is decoded as UTF-8).
func mediaTypeIn(ct []byte, types []string) bool {
	mt, params, _ := bytes.Cut(ct, []byte(";"))
	mt = bytes.TrimSpace(mt)
	ok := false
	for _, t := range types {
		if bytes.EqualFold(mt, []byte(t)) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	for len(params) > 0 {
		var p []byte
		p, params, _ = bytes.Cut(params, []byte(";"))
		k, v, _ := bytes.Cut(bytes.TrimSpace(p), []byte("="))
		if bytes.EqualFold(bytes.TrimSpace(k), []byte("charset")) {
			v = bytes.Trim(bytes.TrimSpace(v), `"`)
			if !bytes.EqualFold(v, []byte("utf-8")) && !bytes.EqualFold(v, []byte("utf8")) {
				return false
			}
		}
	}
	return true
}
