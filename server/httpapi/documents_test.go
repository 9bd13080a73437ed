package httpapi_test

import (
	"bytes"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/echosenseix/echosenseix/server"
)

type created struct {
	DocumentID string `json:"documentId"`
	JobID      string `json:"jobId"`
}

func TestDocuments(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, be)
			w := e.as(e.a, "POST", "/api/documents", `{"title":"FAQ","content":"  Hello,\n\n  world   of\tagents  "}`)
			if w.Code != 202 {
				t.Fatalf("create = %d %s; want 202", w.Code, w.Body.String())
			}
			c := decode[created](t, w)
			var doc server.Document
			eventually(t, "document processed", func() bool {
				doc = decode[server.Document](t, e.as(e.a, "GET", "/api/documents/"+c.DocumentID, ""))
				return doc.Status == server.DocumentProcessed
			})
			if doc.Entry != "Hello, world of agents" || doc.WordCount != 4 || doc.JobID != c.JobID {
				t.Errorf("document = %+v; want normalised entry, 4 words, job %s", doc, c.JobID)
			}
			var job server.Job
			eventually(t, "job completed", func() bool {
				job = decode[server.Job](t, e.as(e.a, "GET", "/api/jobs/"+c.JobID, ""))
				return job.State == server.JobCompleted
			})
			if job.Attempts != 1 || job.Type != "process-document" {
				t.Errorf("job = %+v; want 1 attempt of process-document", job)
			}
			// Tenant isolation.
			wantError(t, e.as(e.b, "GET", "/api/documents/"+c.DocumentID, ""), 404)
			wantError(t, e.as(e.b, "GET", "/api/jobs/"+c.JobID, ""), 404)
			wantError(t, e.do("GET", "/api/documents/"+c.DocumentID, ""), 401)
			wantError(t, e.do("GET", "/api/jobs/"+c.JobID, ""), 401)
			wantError(t, e.as(e.a, "GET", "/api/jobs/nope", ""), 404)
			wantError(t, e.as(e.a, "GET", "/api/documents/nope", ""), 404)
			wantError(t, e.as(e.a, "GET", "/api/documents/00000000-0000-0000-0000-000000000000", ""), 404)
		})
	}
}

func TestDocumentUploadMultipart(t *testing.T) {
	e := newEnv(t, backends[0])
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "notes.txt")
	_, _ = fw.Write([]byte("one two  three"))
	_ = mw.Close()
	w := e.as(e.a, "POST", "/api/documents/upload", buf.String(), "Content-Type: "+mw.FormDataContentType())
	if w.Code != 202 {
		t.Fatalf("upload = %d %s; want 202", w.Code, w.Body.String())
	}
	c := decode[created](t, w)
	eventually(t, "upload processed", func() bool {
		d := decode[server.Document](t, e.as(e.a, "GET", "/api/documents/"+c.DocumentID, ""))
		return d.Status == server.DocumentProcessed && d.WordCount == 3 && d.Title == "notes.txt"
	})
	buf.Reset()
	mw = multipart.NewWriter(&buf)
	_ = mw.WriteField("title", "no file")
	_ = mw.Close()
	wantError(t, e.as(e.a, "POST", "/api/documents", buf.String(), "Content-Type: "+mw.FormDataContentType()), 400)
}

func TestDocumentsBadInput(t *testing.T) {
	e := newEnv(t, backends[0])
	for _, body := range []string{`{"title":"x"}`, `{"content":"x"}`, `{"title":"x","content":5}`, `{"title":"x","content":"y","z":1}`, `{`, `{"title":"x","content":"   "}`} {
		wantError(t, e.as(e.a, "POST", "/api/documents", body), 400)
	}
	wantError(t, e.do("POST", "/api/documents", `{"title":"x","content":"y"}`), 401)
	big := `{"title":"big","content":"` + strings.Repeat("a", 11<<20) + `"}`
	wantError(t, e.as(e.a, "POST", "/api/documents", big), 413)
}

func TestDocumentQueueDown(t *testing.T) {
	e := newEnv(t, backends[0])
	e.queue.mu.Lock()
	e.queue.down = true
	e.queue.mu.Unlock()
	w := e.as(e.a, "POST", "/api/documents", `{"title":"x","content":"y"}`)
	wantError(t, w, 503)
	if string(w.Header().Peek("Retry-After")) == "" {
		t.Errorf("503 without Retry-After")
	}
}
