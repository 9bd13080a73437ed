package inmem_test

import (
	"testing"

	"github.com/echosenseix/echosenseix/server/inmem"
	"github.com/echosenseix/echosenseix/server/storetest"
)

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(testing.TB) storetest.Stores {
		s := inmem.NewStore()
		return storetest.Stores{Orgs: s, Users: s, Agents: s, Lookup: s, CallLogs: s, Documents: s}
	})
}
