package main

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/caarlos0/env/v11"
)

// ConfigError is a bad setting: it prints as the one start-up line.
type ConfigError struct {
	Name, Value, Want string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s=%q: want %s", e.Name, e.Value, e.Want)
}

// loadConfig reads environ (os.Environ form) into a Config and validates it.
func loadConfig(environ map[string]string) (*Config, error) {
	cfg := &Config{Cluster: ClusterConfig{Enabled: DefaultClusterEnabled}}
	if err := parseEnv(cfg, environ); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// environMap turns os.Environ() into a map.
func environMap(kv []string) map[string]string {
	m := make(map[string]string, len(kv))
	for _, s := range kv {
		if k, v, ok := strings.Cut(s, "="); ok {
			m[k] = v
		}
	}
	return m
}

// parseEnv reads environ into each sub-config of cfg in turn, so that a
// field env cannot parse is found by its name within its sub-config (env's
// own errors name the Go field, and Cache.TTL and Session.TTL share one).
func parseEnv(cfg *Config, environ map[string]string) error {
	v := reflect.ValueOf(cfg).Elem()
	for i := range v.NumField() {
		sub := v.Field(i)
		if err := env.ParseWithOptions(sub.Addr().Interface(), env.Options{Environment: environ}); err != nil {
			return parseErrorToConfigError(err, sub.Type(), environ)
		}
	}
	return nil
}

// parseErrorToConfigError names the variable of the first field of sub env
// could not parse, and what it wants.
func parseErrorToConfigError(err error, sub reflect.Type, environ map[string]string) error {
	var pe env.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	f, ok := sub.FieldByName(pe.Name)
	if !ok {
		return err
	}
	name := f.Tag.Get("env")
	return &ConfigError{Name: name, Value: environ[name], Want: parseWant(pe.Type)}
}

// parseWant says what a field of type t accepts.
func parseWant(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Millis]():
		return "an integer (milliseconds)"
	case reflect.TypeFor[Seconds]():
		return "an integer (seconds)"
	}
	if t.Kind() == reflect.Bool {
		return "true or false"
	}
	if t.Kind() == reflect.Float64 {
		return "a number"
	}
	return "an integer"
}
