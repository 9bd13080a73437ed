package tuning

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// setPostgres records the ALTER SYSTEM entry of it (if any), then sets it
// with ALTER SYSTEM and reloads.
func (a *applier) setPostgres(ctx context.Context, it Item) error {
	pg := a.sys.Postgres
	if !hasValue(a.backup.Postgres, it.Key) {
		old, set, err := autoConfValue(ctx, pg, it.Key)
		if err != nil {
			return err
		}
		a.backup.Postgres = append(a.backup.Postgres, ValueBackup{Key: it.Key, Old: old, Set: set})
		if err := a.backup.save(a.Dest); err != nil {
			return err
		}
	}
	if err := alterSystem(ctx, pg, it.Key, it.Want, true); err != nil {
		return err
	}
	return reloadPostgres(ctx, pg)
}

// autoConfValue reads the postgresql.auto.conf entry of key.
func autoConfValue(ctx context.Context, pg *pgx.Conn, key string) (string, bool, error) {
	var v string
	err := pg.QueryRow(ctx, `SELECT setting FROM pg_file_settings
		WHERE name = $1 AND sourcefile LIKE '%postgresql.auto.conf' ORDER BY seqno DESC LIMIT 1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("cannot read pg_file_settings: %w", err)
	}
	return v, true, nil
}

func alterSystem(ctx context.Context, pg *pgx.Conn, key, value string, set bool) error {
	ident := pgx.Identifier{key}.Sanitize()
	sql := "ALTER SYSTEM RESET " + ident
	if set {
		sql = "ALTER SYSTEM SET " + ident + " = " + quoteLiteral(value)
	}
	if _, err := pg.Exec(ctx, sql); err != nil {
		return fmt.Errorf("cannot alter system %s: %w", key, err)
	}
	return nil
}

func reloadPostgres(ctx context.Context, pg *pgx.Conn) error {
	if _, err := pg.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return fmt.Errorf("cannot reload postgres: %w", err)
	}
	return nil
}

func quoteLiteral(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}

// setRedis records the CONFIG GET value of it, then CONFIG SETs it. A
// setting Redis takes only at start (tcp-backlog) is left to the file.
func (a *applier) setRedis(ctx context.Context, it Item) error {
	if !hasValue(a.backup.Redis, it.Key) {
		old, err := a.sys.redisGet(ctx, it.Key)
		if err != nil {
			return err
		}
		a.backup.Redis = append(a.backup.Redis, ValueBackup{Key: it.Key, Old: old, Set: true})
		if err := a.backup.save(a.Dest); err != nil {
			return err
		}
	}
	r := a.sys.Redis
	err := r.Do(ctx, r.B().ConfigSet().ParameterValue().ParameterValue(it.Key, it.Want).Build()).Error()
	if err != nil && redisStartOnly[it.Key] {
		fmt.Fprintf(a.Out, "restart Redis to apply: %s (read only at start; the file has it)\n", it.Key)
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot set redis config %s: %w", it.Key, err)
	}
	return nil
}

var redisStartOnly = map[string]bool{"tcp-backlog": true}
