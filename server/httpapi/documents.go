package httpapi

import (
	"bytes"
	"context"
	"io"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/echosenseix/echosenseix/server"
)

type documentInput struct {
	Title   string `json:"title"`
	Content string `json:"content"`
}

// handleCreateDocument: POST /api/documents (JSON {title,content} or a
// multipart "file") -> 202 {documentId, jobId}.
func (s *Server) handleCreateDocument(ctx context.Context, c *app.RequestContext, id identity) {
	in, err := s.documentInput(c)
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	docID, jobID, err := s.app.CreateDocument(ctx, id.OrgID, in.Title, in.Content)
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	b := make([]byte, 0, 96)
	b = append(b, `{"documentId":`...)
	b = appendJSONString(b, docID)
	b = append(b, `,"jobId":`...)
	b = appendJSONString(b, jobID)
	writeJSONBytes(c, 202, append(b, '}'))
}

// documentInput reads a JSON or multipart document body.
func (s *Server) documentInput(c *app.RequestContext) (documentInput, error) {
	var in documentInput
	if bytes.HasPrefix(c.Request.Header.ContentType(), []byte("multipart/form-data")) {
		form, err := c.MultipartForm()
		if err != nil {
			return in, invalidf("malformed multipart body: %v", err)
		}
		files := form.File["file"]
		if len(files) == 0 {
			return in, invalidf("field \"file\" is required")
		}
		f, err := files[0].Open()
		if err != nil {
			return in, invalidf("cannot read field \"file\": %v", err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, int64(s.cfg.MaxDocumentSize)+1))
		if err != nil {
			return in, invalidf("cannot read field \"file\": %v", err)
		}
		in.Content, in.Title = string(b), files[0].Filename
		if t := form.Value["title"]; len(t) > 0 && t[0] != "" {
			in.Title = t[0]
		}
	} else if err := decodeJSON(c.Request.Body(), &in, true, s.cfg.MaxJSONDepth); err != nil {
		return in, err
	}
	return in, in.validate(s.cfg.MaxDocumentSize)
}

func (in *documentInput) validate(maxSize int) error {
	if err := required("title", in.Title, "content", in.Content); err != nil {
		return err
	}
	if len(in.Content) > maxSize {
		return server.Errorf(server.ETOOLARGE, "document is larger than %d bytes", maxSize)
	}
	d := server.Document{Title: in.Title, Content: in.Content}
	return d.Validate()
}

// handleDocument: GET /api/documents/:id.
func (s *Server) handleDocument(ctx context.Context, c *app.RequestContext, id identity) {
	d, err := s.app.Document(ctx, id.OrgID, c.Param("id"))
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.writeJSON(ctx, c, 200, d)
}

// handleJob: GET /api/jobs/:id, only the caller's organization's jobs.
func (s *Server) handleJob(ctx context.Context, c *app.RequestContext, id identity) {
	j, err := s.app.Job(ctx, id.OrgID, c.Param("id"))
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.writeJSON(ctx, c, 200, j)
}
