package testbed

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"gopkg.in/yaml.v3"

	"github.com/callctl/callctl/flow"
)

// Flows are the test bed's call flows (testdata/flows), by name and by
// technical extension: the daemons StartDaemon starts run them. A stand-in
// for the flow store (package flow) in tests.
type Flows struct {
	byName, byExten map[string]flow.Flow
}

// LoadFlows reads every testdata/flows/*.yaml.
func LoadFlows() (*Flows, error) {
	_, file, _, _ := runtime.Caller(0)
	paths, err := filepath.Glob(filepath.Join(filepath.Dir(file), "testdata", "flows", "*.yaml"))
	if err != nil {
		return nil, err
	}
	fs := &Flows{byName: map[string]flow.Flow{}, byExten: map[string]flow.Flow{}}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var f flow.Flow
		if err := yaml.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		fs.Add(f)
	}
	return fs, nil
}

// Add adds or replaces a flow.
func (fs *Flows) Add(f flow.Flow) {
	fs.byName[f.Name] = f
	if f.Exten != "" {
		fs.byExten[f.Exten] = f
	}
}

// Get returns a flow by name.
func (fs *Flows) Get(name string) (flow.Flow, bool, error) {
	f, ok := fs.byName[name]
	return f, ok, nil
}

// ByExten returns a flow by technical extension.
func (fs *Flows) ByExten(exten string) (flow.Flow, bool, error) {
	f, ok := fs.byExten[exten]
	return f, ok, nil
}
