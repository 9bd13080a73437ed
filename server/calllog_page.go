package server

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// CallLogCursor is the position a keyset page continues after: the last
// row's (CreatedAt, ID). Its text form, from Encode, is opaque to clients.
type CallLogCursor struct {
	CreatedAt time.Time
	ID        string
}

// Encode returns the cursor's opaque text: unpadded URL-safe base64 of
// "<unix microseconds>,<id>".
func (c CallLogCursor) Encode() string {
	raw := strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "," + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// After reports whether the row (at, id) sorts after the cursor in the
// newest-first order, i.e. belongs to a later page.
func (c CallLogCursor) After(at time.Time, id string) bool {
	if !at.Equal(c.CreatedAt) {
		return at.Before(c.CreatedAt)
	}
	return id < c.ID
}

// DecodeCallLogCursor parses a cursor from Encode; anything else answers
// EINVALID.
func DecodeCallLogCursor(s string) (CallLogCursor, error) {
	bad := Errorf(EINVALID, "cursor is not valid")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return CallLogCursor{}, bad
	}
	micros, id, ok := strings.Cut(string(raw), ",")
	n, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || !IsUUID(id) {
		return CallLogCursor{}, bad
	}
	return CallLogCursor{CreatedAt: time.UnixMicro(n), ID: strings.ToLower(id)}, nil
}

// Bounds returns the effective page size (DefaultCallLogPageSize when Limit
// <= 0, at most MaxCallLogPageSize) and page number (1 when Page <= 1; 0 when
// a Cursor is set, since keyset pages have no number).
func (q CallLogQuery) Bounds() (limit, page int) {
	limit = q.Limit
	if limit <= 0 {
		limit = DefaultCallLogPageSize
	}
	limit = min(limit, MaxCallLogPageSize)
	page = max(q.Page, 1)
	if q.Cursor != "" {
		page = 0
	}
	return limit, page
}

// SetPaging fills PageSize, Page and TotalPages from the page's Total.
func (p *CallLogPage) SetPaging(limit, page int) {
	p.PageSize = limit
	p.Page = page
	p.TotalPages = (p.Total + int64(limit) - 1) / int64(limit)
}
