package main

import (
	"log/slog"
	"os"

	"github.com/cloudwego/hertz/pkg/common/hlog"

	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

// newLogger answers the JSON logger on stderr at level, with attrs (role,
// slot) on every line. It also sets hertz's own (plain-text) logger to the
// same level, one notch quieter: its info lines repeat ours. A line logged
// with the context of a traced request carries its trace_id and span_id.
func newLogger(level string, attrs ...any) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level)) // validated by loadConfig
	h := slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lv})
	hlog.SetLevel(hertzLevel(lv))
	return slog.New(tracing.LogHandler(h)).With(attrs...)
}

func hertzLevel(lv slog.Level) hlog.Level {
	switch {
	case lv <= slog.LevelDebug:
		return hlog.LevelDebug
	case lv <= slog.LevelInfo:
		return hlog.LevelWarn
	case lv <= slog.LevelWarn:
		return hlog.LevelWarn
	}
	return hlog.LevelError
}
