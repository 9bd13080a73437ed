package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/google/uuid"

	"github.com/echosenseix/echosenseix/server"
)

// ProcessDocumentJob is the job type that turns a document into a
// knowledge-base entry.
const ProcessDocumentJob = "process-document"

// documentJobData is the data of a process-document job.
type documentJobData struct {
	DocumentID     string `json:"documentId"`
	OrganizationID string `json:"organizationId"`
}

type documentInput struct {
	Title   string `json:"title"`
	Content string `json:"content"`
}

var (
	errDocumentNotFound = server.Errorf(server.ENOTFOUND, "document not found")
	errJobNotFound      = server.Errorf(server.ENOTFOUND, "job not found")
)

// handleCreateDocument: POST /api/documents (JSON {title,content} or a
// multipart "file") -> 202 {documentId, jobId}.
func (s *Server) handleCreateDocument(ctx context.Context, c *app.RequestContext, id identity) {
	in, err := s.documentInput(c)
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	now := time.Now().UTC()
	d := &server.Document{ID: uuid.NewString(), OrganizationID: id.OrgID, Title: in.Title, Content: in.Content,
		Status: server.DocumentPending, CreatedAt: now, UpdatedAt: now}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
	defer cancel()
	if err := s.d.Documents.CreateDocument(sctx, d); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	data, _ := jsonAPI.Marshal(documentJobData{DocumentID: d.ID, OrganizationID: id.OrgID})
	job, err := s.d.Queue.AddJob(sctx, ProcessDocumentJob, data, server.JobOptions{OrganizationID: id.OrgID})
	if err != nil {
		d.Status, d.Error, d.UpdatedAt = server.DocumentFailed, "job queue unavailable", time.Now().UTC()
		_ = s.d.Documents.UpdateDocument(sctx, d)
		if code := server.ErrorCode(err); code == server.EINTERNAL || code == server.EUNAVAILABLE {
			err = server.WrapError(server.EUNAVAILABLE, "job queue unavailable; try again", err)
		}
		s.writeError(ctx, c, err)
		return
	}
	b := make([]byte, 0, 96)
	b = append(b, `{"documentId":`...)
	b = appendJSONString(b, d.ID)
	b = append(b, `,"jobId":`...)
	b = appendJSONString(b, job.ID)
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
	docID := c.Param("id")
	if !server.IsUUID(docID) {
		s.writeError(ctx, c, errDocumentNotFound)
		return
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
	defer cancel()
	d, err := s.d.Documents.Document(sctx, id.OrgID, docID)
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.writeJSON(ctx, c, 200, d)
}

// handleJob: GET /api/jobs/:id, only the caller's organization's jobs.
func (s *Server) handleJob(ctx context.Context, c *app.RequestContext, id identity) {
	jobID := c.Param("id")
	if jobID == "" || len(jobID) > 128 {
		s.writeError(ctx, c, errJobNotFound)
		return
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
	defer cancel()
	j, err := s.d.Queue.Job(sctx, jobID)
	if err == nil && j.OrganizationID != id.OrgID {
		err = errJobNotFound
	}
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.writeJSON(ctx, c, 200, j)
}

// RegisterJobs registers the API's job handlers on q (New calls it):
// process-document.
func RegisterJobs(q server.Queue, docs server.DocumentStore, log *slog.Logger) {
	q.Register(ProcessDocumentJob, ProcessDocument(docs, log))
}

// ProcessDocument returns the process-document handler: it normalises the
// document's text (trim, collapse whitespace), counts its words and marks it
// processed, or failed when it holds no text. It is idempotent: a processed
// document is left alone; a vanished one is skipped.
func ProcessDocument(docs server.DocumentStore, log *slog.Logger) server.JobHandler {
	return func(ctx context.Context, job *server.Job) error {
		var data documentJobData
		if err := json.Unmarshal(job.Data, &data); err != nil {
			return server.WrapError(server.EINVALID, "bad process-document job data", err)
		}
		d, err := docs.Document(ctx, data.OrganizationID, data.DocumentID)
		if server.IsNotFound(err) {
			log.Warn("process-document: document is gone", "document", data.DocumentID)
			return nil
		}
		if err != nil {
			return err
		}
		if d.Status == server.DocumentProcessed {
			return nil
		}
		words := strings.Fields(d.Content)
		d.JobID, d.UpdatedAt = job.ID, time.Now().UTC()
		if len(words) == 0 {
			d.Status, d.Error, d.Entry, d.WordCount = server.DocumentFailed, "document has no text", "", 0
		} else {
			d.Status, d.Error, d.Entry, d.WordCount = server.DocumentProcessed, "", strings.Join(words, " "), len(words)
		}
		return docs.UpdateDocument(ctx, d)
	}
}
