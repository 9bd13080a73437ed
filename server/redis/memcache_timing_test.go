package redis_test

import (
	"testing"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/inmem"
)

// memoryCache is the memory provider filled with ks, for a side-by-side.
func memoryCache(b *testing.B, ks []string) server.Cache {
	c := inmem.NewCache(inmem.CacheConfig{MaxSize: 2 * benchKeys})
	fill(b, c, ks)
	return c
}
