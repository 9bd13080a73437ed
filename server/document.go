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

// DocumentStore persists documents, scoped by organization (ENOTFOUND for
// another organization's id). UpdateDocument writes Status, JobID, Entry,
// WordCount, Error and UpdatedAt of an existing document.
type DocumentStore interface {
	CreateDocument(ctx context.Context, d *Document) error
	Document(ctx context.Context, orgID, id string) (*Document, error)
	UpdateDocument(ctx context.Context, d *Document) error
}
