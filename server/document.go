package server

import (
	"context"
	"time"
)

// Document states.
const (
	DocumentPending    = "pending"
	DocumentProcessing = "processing"
	DocumentProcessed  = "processed"
	DocumentFailed     = "failed"
)

// Document is an uploaded text turned into a knowledge-base entry by the
// asynchronous process-document job. Entry is the processed text (normalised,
// with WordCount); Error holds the last processing error.
type Document struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organizationId"`
	Title          string    `json:"title"`
	Content        string    `json:"-"`
	Status         string    `json:"status"`
	JobID          string    `json:"jobId"`
	Entry          string    `json:"entry,omitempty"`
	WordCount      int       `json:"wordCount"`
	Error          string    `json:"error,omitempty"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// MaxDocumentTitle is the longest Title Validate accepts, in bytes.
const MaxDocumentTitle = 500

// Validate checks a new document's Title and Content (the size limit of
// Content is the caller's): both are required, UTF-8 without NUL, so every
// store accepts a document that passed Validate. It answers EINVALID naming
// the first bad field.
func (d *Document) Validate() error {
	switch {
	case d.Title == "":
		return Errorf(EINVALID, "title is required")
	case d.Content == "":
		return Errorf(EINVALID, "content is required")
	case len(d.Title) > MaxDocumentTitle:
		return Errorf(EINVALID, "title is longer than %d bytes", MaxDocumentTitle)
	}
	return checkText(textField{"title", d.Title}, textField{"content", d.Content})
}

// DocumentStore persists documents, scoped by organization (ENOTFOUND for
// another organization's id). UpdateDocument writes Status, JobID, Entry,
// WordCount, Error and UpdatedAt of an existing document.
type DocumentStore interface {
	CreateDocument(ctx context.Context, d *Document) error
	Document(ctx context.Context, orgID, id string) (*Document, error)
	UpdateDocument(ctx context.Context, d *Document) error
}
