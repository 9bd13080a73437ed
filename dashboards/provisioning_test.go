package dashboards

import (
	"bytes"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

// decodeStrict decodes a YAML file into v, failing on unknown keys.
func decodeStrict(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}

// TestProvisioning checks Grafana's provisioning files: apiVersion 1, a file
// provider for the dashboards, a Prometheus datasource, no unknown keys.
func TestProvisioning(t *testing.T) {
	var prov struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name                  string         `yaml:"name"`
			OrgID                 int            `yaml:"orgId"`
			Folder                string         `yaml:"folder"`
			Type                  string         `yaml:"type"`
			DisableDeletion       bool           `yaml:"disableDeletion"`
			AllowUIUpdates        bool           `yaml:"allowUiUpdates"`
			UpdateIntervalSeconds int            `yaml:"updateIntervalSeconds"`
			Options               map[string]any `yaml:"options"`
		} `yaml:"providers"`
	}
	decodeStrict(t, "provisioning/dashboards/echosenseix.yml", &prov)
	if prov.APIVersion != 1 || len(prov.Providers) != 1 || prov.Providers[0].Type != "file" || prov.Providers[0].Options["path"] == nil {
		t.Errorf("dashboard provider = %+v; want apiVersion 1 and one file provider with options.path", prov)
	}
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name      string         `yaml:"name"`
			UID       string         `yaml:"uid"`
			Type      string         `yaml:"type"`
			Access    string         `yaml:"access"`
			URL       string         `yaml:"url"`
			IsDefault bool           `yaml:"isDefault"`
			Editable  bool           `yaml:"editable"`
			JSONData  map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	decodeStrict(t, "provisioning/datasources/prometheus.yml", &ds)
	if ds.APIVersion != 1 || len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL == "" {
		t.Errorf("datasources = %+v; want apiVersion 1 and one prometheus datasource with a url", ds)
	}
}
