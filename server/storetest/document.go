package storetest

import (
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

func testDocuments(t *testing.T, s Stores) {
	o := MustOrganization(t, s, "Acme")
	o2 := MustOrganization(t, s, "Other")
	d := &server.Document{OrganizationID: o.ID, Title: "FAQ", Content: "Hello   world\nagain"}
	if err := s.Documents.CreateDocument(ctx(t), d); err != nil {
		t.Fatalf("CreateDocument() = %v; want nil", err)
	}
	if d.ID == "" || d.CreatedAt.IsZero() || d.UpdatedAt.IsZero() || d.Status != server.DocumentPending {
		t.Fatalf("CreateDocument left %+v; want ID, times and status %q", d, server.DocumentPending)
	}
	got, err := s.Documents.Document(ctx(t), o.ID, d.ID)
	if err != nil {
		t.Fatalf("Document() = %v; want nil", err)
	}
	assertDocument(t, got, d)

	time.Sleep(2 * time.Millisecond)
	upd := *d
	upd.Status, upd.JobID, upd.Entry, upd.WordCount, upd.Error = server.DocumentProcessed, "job-1", "Hello world again", 3, "earlier failure"
	upd.UpdatedAt = time.Time{}
	upd.Title, upd.Content = "ignored", "ignored" // not written by UpdateDocument
	if err := s.Documents.UpdateDocument(ctx(t), &upd); err != nil {
		t.Fatalf("UpdateDocument() = %v; want nil", err)
	}
	if !upd.UpdatedAt.After(d.UpdatedAt) {
		t.Errorf("UpdatedAt %v; want after %v", upd.UpdatedAt, d.UpdatedAt)
	}
	got, err = s.Documents.Document(ctx(t), o.ID, d.ID)
	if err != nil {
		t.Fatalf("Document() = %v; want nil", err)
	}
	want := upd
	want.Title, want.Content = d.Title, d.Content
	assertDocument(t, got, &want)

	_, err = s.Documents.Document(ctx(t), o2.ID, d.ID)
	wantCode(t, "Document(other org)", err, server.ENOTFOUND)
	for _, id := range []string{missingID, "x"} {
		_, err = s.Documents.Document(ctx(t), o.ID, id)
		wantCode(t, "Document("+id+")", err, server.ENOTFOUND)
	}
	foreign := upd
	foreign.OrganizationID = o2.ID
	wantCode(t, "UpdateDocument(other org)", s.Documents.UpdateDocument(ctx(t), &foreign), server.ENOTFOUND)
	foreign = upd
	foreign.ID = missingID
	wantCode(t, "UpdateDocument(missing)", s.Documents.UpdateDocument(ctx(t), &foreign), server.ENOTFOUND)
	err = s.Documents.CreateDocument(ctx(t), &server.Document{OrganizationID: missingID, Title: "t", Content: "c"})
	wantCode(t, "CreateDocument(unknown org)", err, server.ENOTFOUND)
}

func assertDocument(t testing.TB, got, want *server.Document) {
	t.Helper()
	if got.ID != want.ID || got.OrganizationID != want.OrganizationID || got.Title != want.Title || got.Content != want.Content ||
		got.Status != want.Status || got.JobID != want.JobID || got.Entry != want.Entry || got.WordCount != want.WordCount ||
		got.Error != want.Error || !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("document = %+v; want %+v", got, want)
	}
}
