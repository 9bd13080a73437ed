package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/echosenseix/echosenseix/server"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestDataErrorsAreInvalid: every data exception (SQLSTATE class 22) that
// real Postgres raises maps to EINVALID (400), never EINTERNAL.
func TestDataErrorsAreInvalid(t *testing.T) {
	db := MustOpen(t, Config{}, true)
	ctx := context.Background()
	if _, err := db.Pool().Exec(ctx, `CREATE TABLE short_text (v varchar(3))`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		state, sql string
		args       []any
	}{
		{"22021", `SELECT $1::text`, []any{"a\x00b"}},
		{"22021", `SELECT $1::text`, []any{"\xff\xfe"}},
		{"22P05", `SELECT '["\u0000"]'::jsonb`, nil},
		{"22P02", `SELECT '["\ud800"]'::jsonb`, nil},
		{"22P02", `SELECT 'nope'::uuid`, nil},
		{"22001", `INSERT INTO short_text VALUES ($1)`, []any{"toolong"}},
		{"22003", `SELECT 1000000::numeric(10,4)`, nil},
	}
	for _, tt := range tests {
		err := db.withConn(ctx, "run data test", func(c *pgxpool.Conn) error {
			rows, err := c.Query(ctx, tt.sql, tt.args...)
			if err == nil {
				rows.Close()
				err = rows.Err()
			}
			return err
		})
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != tt.state {
			t.Errorf("%s: error %v; want SQLSTATE %s", tt.sql, err, tt.state)
			continue
		}
		if code := server.ErrorCode(err); code != server.EINVALID {
			t.Errorf("%s (%s): code %q; want %q", tt.sql, tt.state, code, server.EINVALID)
		}
		if msg := server.ErrorMessage(err); !strings.HasPrefix(msg, "invalid value: ") {
			t.Errorf("%s (%s): message %q; want it to start with \"invalid value: \"", tt.sql, tt.state, msg)
		}
	}
}

// TestStoreRefusesNULWithInvalid: a NUL that reaches the store (a caller
// that skipped Validate) answers EINVALID, not EINTERNAL.
func TestStoreRefusesNULWithInvalid(t *testing.T) {
	st := MustOpen(t, Config{}, true).Store()
	ctx := context.Background()
	o := &server.Organization{Name: "Acme", WebhookSecret: "s"}
	if err := st.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	err := st.CreateDocument(ctx, &server.Document{OrganizationID: o.ID, Title: "t\x00", Content: "c"})
	if code := server.ErrorCode(err); code != server.EINVALID {
		t.Errorf("CreateDocument with NUL title = %v; want code %s", err, server.EINVALID)
	}
}

// TestBrokenConnectionIsUnavailable: a connection cut mid-call (reset,
// broken pipe, reply cut short, a network error) is 503 EUNAVAILABLE, the
// database unreachable for now, never a 500.
func TestBrokenConnectionIsUnavailable(t *testing.T) {
	for _, err := range []error{
		&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET},
		fmt.Errorf("write failed: %w", syscall.EPIPE),
		fmt.Errorf("receive message failed: %w", io.ErrUnexpectedEOF),
		net.ErrClosed,
	} {
		if code := server.ErrorCode(dbError(err, "create document")); code != server.EUNAVAILABLE {
			t.Errorf("dbError(%v): code %q; want %q", err, code, server.EUNAVAILABLE)
		}
	}
	if code := server.ErrorCode(dbError(errors.New("BUG: something else"), "create document")); code != server.EINTERNAL {
		t.Errorf("an unknown error: code %q; want %q", code, server.EINTERNAL)
	}
}
