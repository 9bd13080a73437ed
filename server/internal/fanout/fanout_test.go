package fanout_test

import (
	"slices"
	"testing"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/fanout"
)

func TestListOrderAndCancel(t *testing.T) {
	var l fanout.List
	var got []string
	rec := func(name string) func(server.Event) {
		return func(ev server.Event) { got = append(got, name+":"+ev.Type) }
	}
	ca := l.Add(rec("a"))
	var cb func()
	cb = l.Add(func(ev server.Event) { got = append(got, "b:"+ev.Type); cb() }) // cancels itself
	l.Add(rec("c"))
	l.Deliver(server.Event{Type: "1"})
	ca()
	ca()
	l.Deliver(server.Event{Type: "2"})
	want := []string{"a:1", "b:1", "c:1", "c:2"}
	if !slices.Equal(got, want) || l.Len() != 1 {
		t.Fatalf("got %v with %d subscribers; want %v with 1", got, l.Len(), want)
	}
}
