package postgres

import (
	"testing"

	"github.com/echosenseix/echosenseix/server/storetest"
)

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) storetest.Stores {
		s := MustOpen(tb, Config{}, true).Store()
		return storetest.Stores{Orgs: s, Users: s, Agents: s, Lookup: s, CallLogs: s, Documents: s}
	})
}
