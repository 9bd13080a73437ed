package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

// ProcessDocumentJob is the job type that turns a document into a
// knowledge-base entry.
const ProcessDocumentJob = "process-document"

// documentJobData is the data of a process-document job.
type documentJobData struct {
	DocumentID     string `json:"documentId"`
	OrganizationID string `json:"organizationId"`
}

// Errors of documents and jobs that are not the caller's.
var (
	ErrDocumentNotFound = server.Errorf(server.ENOTFOUND, "document not found")
	ErrJobNotFound      = server.Errorf(server.ENOTFOUND, "job not found")
)

// CreateDocument stores org's document (title and content checked by the
// caller) as pending and queues its processing; it answers the document and
// job ids. When the queue refuses the job, the document is marked failed
// and the answer is EUNAVAILABLE (try again).
func (s *Service) CreateDocument(ctx context.Context, org, title, content string) (docID, jobID string, err error) {
	now := time.Now().UTC()
	d := &server.Document{ID: uuid.NewString(), OrganizationID: org, Title: title, Content: content,
		Status: server.DocumentPending, CreatedAt: now, UpdatedAt: now}
	sctx, cancel := s.storeCtx(ctx)
	defer cancel()
	if err := s.d.Documents.CreateDocument(sctx, d); err != nil {
		return "", "", err
	}
	data, _ := jsonAPI.Marshal(documentJobData{DocumentID: d.ID, OrganizationID: org})
	job, err := s.d.Queue.AddJob(sctx, ProcessDocumentJob, data, server.JobOptions{OrganizationID: org})
	if err != nil {
		d.Status, d.Error, d.UpdatedAt = server.DocumentFailed, "job queue unavailable", time.Now().UTC()
		_ = s.d.Documents.UpdateDocument(sctx, d)
		if code := server.ErrorCode(err); code == server.EINTERNAL || code == server.EUNAVAILABLE {
			err = server.WrapError(server.EUNAVAILABLE, "job queue unavailable; try again", err)
		}
		return "", "", err
	}
	return d.ID, job.ID, nil
}

// Document answers org's document id.
func (s *Service) Document(ctx context.Context, org, id string) (*server.Document, error) {
	if !server.IsUUID(id) {
		return nil, ErrDocumentNotFound
	}
	sctx, cancel := s.storeCtx(ctx)
	defer cancel()
	return s.d.Documents.Document(sctx, org, id)
}

// Job answers org's job id (another organization's job is not found).
func (s *Service) Job(ctx context.Context, org, id string) (*server.Job, error) {
	if id == "" || len(id) > 128 {
		return nil, ErrJobNotFound
	}
	sctx, cancel := s.storeCtx(ctx)
	defer cancel()
	j, err := s.d.Queue.Job(sctx, id)
	if err == nil && j.OrganizationID != org {
		err = ErrJobNotFound
	}
	if err != nil {
		return nil, err
	}
	return j, nil
}

// RegisterJobs registers the use cases' job handlers on q (New calls it):
// process-document.
func RegisterJobs(q server.Queue, docs server.DocumentStore, log *slog.Logger) {
	q.Register(ProcessDocumentJob, tracing.Job(ProcessDocumentJob, ProcessDocument(docs, log)))
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
			log.WarnContext(ctx, "process-document: document is gone", "document", data.DocumentID)
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
