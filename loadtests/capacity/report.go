package capacity

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Write writes report.md, results.json.gz and units.png into dir; extra is
// appended to the report (the planner's answers).
func Write(dir string, res Results, extra string) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	enc.SetIndent("", " ")
	if err := enc.Encode(res); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json.gz"), buf.Bytes(), 0o644); err != nil {
		return err
	}
	if err := WritePNG(filepath.Join(dir, "units.png"), res); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(Markdown(res)+extra), 0o644)
}

// Markdown is the report: the unit costs of every model (side by side when
// two binaries were measured) and the planner's checks.
func Markdown(res Results) string {
	var b strings.Builder
	b.WriteString("# Capacity: CPU per unit of work\n\n")
	if len(res.Models) == 0 {
		return b.String()
	}
	m0 := res.Models[0]
	fmt.Fprintf(&b, "Started %s. Machine: %s.  \nInstructions: %s.  \n", m0.Started, m0.Machine, m0.Instructions)
	b.WriteString("Each unit is measured alone, one phase at a time, on the running server: server = CPU of its process tree (internal/proc), generator = this process (the load generator's own code: loadgen.RunRate / RunFixed and its socket client), the idle server's CPU subtracted; a frame's cost is net of its webhooks' and of the idle sockets'. Costs in µs of CPU per unit.\n\n")
	for _, m := range res.Models {
		fmt.Fprintf(&b, "## %s\n\nServer: `%s`; idle server %.3f cores; server RSS %.0f MiB with no socket (after a GC), %s per socket; generator %s per socket.\n\n",
			m.Label, m.ServerID, m.BaselineServerCores, m.ServerBaseRSS/(1<<20), bytesPer(m.ServerRSSPerSocket), bytesPer(m.GeneratorRSSPerSocket))
		b.WriteString("| unit | count | seconds | server µs/unit | generator µs/unit | gen/server | Redis cmds/unit | write syscalls/unit | errors | how |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
		for _, u := range m.Units {
			sys := ""
			if u.SyscallsPerUnit > 0 {
				sys = fmt.Sprintf("%.2f", u.SyscallsPerUnit)
			}
			fmt.Fprintf(&b, "| %s | %.0f | %.1f | %.1f | %.1f | %.2f | %.2f | %s | %d | %s |\n", u.Name, u.Count, u.Seconds,
				u.ServerUS(), u.GeneratorUS(), per(u.GeneratorUS(), u.ServerUS()), u.RedisPerUnit(), sys, u.Errors, u.Note)
		}
		b.WriteString("\n")
	}
	if len(res.Models) >= 2 {
		a, z := res.Models[len(res.Models)-1], res.Models[0]
		fmt.Fprintf(&b, "## Before / after (same run)\n\nbefore = %s, after = %s.\n\n", a.Label, z.Label)
		b.WriteString("| unit | server µs before | server µs after | after/before | generator µs before | generator µs after | syscalls before | syscalls after |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, u := range z.Units {
			o := a.Unit(u.Name)
			fmt.Fprintf(&b, "| %s | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f | %.2f |\n", u.Name, o.ServerUS(), u.ServerUS(),
				per(u.ServerUS(), o.ServerUS()), o.GeneratorUS(), u.GeneratorUS(), o.SyscallsPerUnit, u.SyscallsPerUnit)
		}
		b.WriteString("\n")
	}
	if len(res.Checks) > 0 {
		b.WriteString("## The planner against measured tiers\n\nMean cores over the whole run (ramp + hold), as make loadtest measures them; predicted with the first model above.\n\n")
		b.WriteString("| tier | source | server predicted | server measured | error | generator predicted | generator measured | error | note |\n|---|---|---:|---:|---:|---:|---:|---:|---|\n")
		for _, c := range res.Checks {
			fmt.Fprintf(&b, "| %s | %s | %.3f | %.3f | %+.0f%% | %.3f | %.3f | %+.0f%% | %s |\n", c.Tier, c.Source, c.PredictedServer, c.MeasuredServer,
				100*c.ServerErrorRatio, c.PredictedGenerator, c.MeasuredGenerator, 100*c.GeneratorErrorRatio, c.Note)
		}
		b.WriteString("\n")
	}
	b.WriteString("![unit costs](units.png)\n\n")
	return b.String()
}

// WritePNG draws the server's and the generator's µs per unit, one bar
// per model (logins, two orders of magnitude above the rest, are left to
// the table).
func WritePNG(path string, res Results) error {
	if len(res.Models) == 0 {
		return nil
	}
	var names []string
	for _, u := range res.Models[0].Units {
		if u.Name != UnitLogin {
			names = append(names, strings.TrimPrefix(u.Name, PagePrefix+"/api/"))
		}
	}
	panel := func(title string, f func(Unit) float64) (*plot.Plot, error) {
		pl := plot.New()
		pl.Title.Text = title
		pl.Y.Label.Text = "µs CPU per unit"
		w := vg.Points(float64(30 / len(res.Models)))
		for i, m := range res.Models {
			var vs plotter.Values
			for _, u := range res.Models[0].Units {
				if u.Name != UnitLogin {
					vs = append(vs, f(m.Unit(u.Name)))
				}
			}
			bars, err := plotter.NewBarChart(vs, w)
			if err != nil {
				return nil, err
			}
			bars.Color = palette[i%len(palette)]
			bars.LineStyle.Width = 0
			bars.Offset = w * vg.Length(2*i-len(res.Models)+1) / 2
			pl.Add(bars)
			pl.Legend.Add(m.Label, bars)
		}
		pl.Legend.Top = true
		pl.NominalX(names...)
		pl.X.Tick.Label.Rotation = 0.5
		pl.X.Tick.Label.XAlign = draw.XRight
		return pl, nil
	}
	ps := make([]*plot.Plot, 2)
	var err error
	if ps[0], err = panel("server", Unit.ServerUS); err != nil {
		return err
	}
	if ps[1], err = panel("generator", Unit.GeneratorUS); err != nil {
		return err
	}
	img := vgimg.New(vg.Points(1000), vg.Points(380))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2,
		PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	cs := plot.Align([][]*plot.Plot{ps}, tiles, dc)
	ps[0].Draw(cs[0][0])
	ps[1].Draw(cs[0][1])
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(f)
	return err
}

var palette = []color.Color{color.RGBA{R: 50, G: 120, B: 200, A: 255}, color.RGBA{R: 200, G: 80, B: 60, A: 255}}

func bytesPer(v float64) string {
	if v <= 0 {
		return "not measured (no RSS growth seen)"
	}
	return fmt.Sprintf("+%.0f B", v)
}
