package testbed

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/callctl/callctl/flow"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
)

// LoadFlows stores the test bed's call flows (every testdata/flows/*.yaml)
// in the flow store of db, decoded and validated as `callctl flow set`
// does, against the PBX of cfg. The webhook clients the flows name are
// made later by the tests that use them, so clients are not checked here.
func LoadFlows(db *store.DB, cfg pbx.Config) error {
	_, file, _, _ := runtime.Caller(0)
	paths, err := filepath.Glob(filepath.Join(filepath.Dir(file), "testdata", "flows", "*.yaml"))
	if err != nil {
		return err
	}
	paths = append(paths, filepath.Join(filepath.Dir(file), "..", "..", "examples", "flows", "seed-inbound.yaml"))
	dir, err := pbx.New(cfg)
	if err != nil {
		return err
	}
	flows := flow.NewStore(db)
	catalog := anyClient{flow.NewCatalog(dir, db)}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := flow.Decode(b)
		if err == nil {
			err = flows.Set(f, catalog)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

// anyClient is the PBX catalog with every webhook client known.
type anyClient struct{ *flow.PBXCatalog }

func (anyClient) Client(name, kind string) bool { return true }

// InTx keeps every client known inside Set's transaction too.
func (c anyClient) InTx(tx *store.Tx) flow.Catalog {
	return anyClient{c.PBXCatalog.InTx(tx).(*flow.PBXCatalog)}
}
