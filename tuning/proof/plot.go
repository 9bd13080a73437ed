package proof

import (
	"fmt"
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// panel is one bar chart: defaults against tuned, one bar per round.
type panel struct {
	title, unit string
	d, t        []float64
}

func panels(r *Report) []panel {
	var ps []panel
	k := r.Kernel.Bursts
	pick := func(profile string, f func(BurstResult) float64) []float64 {
		var vs []float64
		for _, b := range k {
			if b.Profile == profile {
				vs = append(vs, f(b))
			}
		}
		return vs
	}
	p99 := func(b BurstResult) float64 { return b.P99Ms }
	ovf := func(b BurstResult) float64 { return float64(b.ListenOverflows) }
	ps = append(ps, panel{"burst: connect p99", "ms", pick(Defaults, p99), pick(Tuned, p99)},
		panel{"burst: TcpExtListenOverflows", "count", pick(Defaults, ovf), pick(Tuned, ovf)})
	pg := func(profile, bench string) []float64 {
		var vs []float64
		for _, x := range r.Postgres.Runs {
			if x.Profile == profile && x.Bench == bench {
				vs = append(vs, x.Value)
			}
		}
		return vs
	}
	if len(r.Postgres.Runs) > 0 {
		ps = append(ps, panel{"postgres: batched ingestion", "rows/s", pg(Defaults, "ingest"), pg(Tuned, "ingest")},
			panel{"postgres: pgbench select-only", "tps", pg(Defaults, "select"), pg(Tuned, "select")})
	}
	return ps
}

// barPlot draws one panel: a bar per round, defaults and tuned side by side.
func barPlot(p panel) (*plot.Plot, error) {
	pl := plot.New()
	pl.Title.Text = p.title
	pl.Y.Label.Text = p.unit
	w := vg.Points(14)
	var names []string
	for i := range max(len(p.d), len(p.t)) {
		names = append(names, fmt.Sprintf("round %d", i+1))
	}
	for i, s := range []struct {
		name string
		vs   []float64
	}{{"defaults", p.d}, {"tuned", p.t}} {
		bars, err := plotter.NewBarChart(plotter.Values(s.vs), w)
		if err != nil {
			return nil, fmt.Errorf("cannot plot %s: %w", p.title, err)
		}
		bars.Color = plotColor(i)
		bars.LineStyle.Width = 0
		bars.Offset = w * vg.Length(2*i-1) / 2
		pl.Add(bars)
		pl.Legend.Add(s.name, bars)
	}
	pl.Legend.Top = true
	pl.NominalX(names...)
	return pl, nil
}

// WritePNG draws the panels in a grid of two columns.
func WritePNG(path string, r *Report) error {
	ps := panels(r)
	rows := (len(ps) + 1) / 2
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, 2)
	}
	for i, p := range ps {
		pl, err := barPlot(p)
		if err != nil {
			return err
		}
		grid[i/2][i%2] = pl
	}
	img := vgimg.New(vg.Points(900), vg.Points(float64(320*rows)))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: 2, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(grid, tiles, dc)
	for i := range grid {
		for j, pl := range grid[i] {
			if pl != nil {
				pl.Draw(canvases[i][j])
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cannot create %s: %w", path, err)
	}
	defer f.Close()
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

func plotColor(i int) color.Color {
	if i == 0 {
		return color.RGBA{R: 200, G: 80, B: 60, A: 255}
	}
	return color.RGBA{R: 50, G: 120, B: 200, A: 255}
}
