package flow

import (
	"errors"

	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/webhook"
)

// PBXCatalog is the Catalog of a running callctl: extensions and queues
// from the PBX directory (the configuration's pbx section), outbound API
// clients from the webhook client store and flows from the flow store,
// both in db. Inside Set it reads the clients in Set's transaction
// (InTx). A database error reads as "unknown".
type PBXCatalog struct {
	dir *pbx.Directory
	db  *store.DB
	tx  *store.Tx
}

// NewCatalog returns the catalog of dir and db.
func NewCatalog(dir *pbx.Directory, db *store.DB) *PBXCatalog {
	return &PBXCatalog{dir: dir, db: db}
}

// InTx returns the catalog reading the database in tx.
func (c *PBXCatalog) InTx(tx *store.Tx) Catalog {
	cp := *c
	cp.tx = tx
	return &cp
}

// Extension reports whether a line has the internal number (in any
// numbering plan).
func (c *PBXCatalog) Extension(number string) bool {
	_, err := c.dir.Find(pbx.Selector{InternalNumber: number})
	return err == nil || errors.Is(err, pbx.ErrAmbiguous)
}

// Queue reports whether pbx.queues has the queue.
func (c *PBXCatalog) Queue(name string) bool {
	_, ok := c.dir.Queue(name)
	return ok
}

// Client reports whether the webhook client called name is of kind.
func (c *PBXCatalog) Client(name, kind string) bool {
	var k string
	err := c.view(func(tx *store.Tx) error {
		var err error
		k, err = webhook.ClientKind(tx, name)
		return err
	})
	return err == nil && k == kind
}

// Flow reports whether a flow called name is stored.
func (c *PBXCatalog) Flow(name string) bool {
	var found bool
	err := c.view(func(tx *store.Tx) error {
		v, err := tx.Get(store.BucketFlows, []byte(name))
		found = v != nil
		return err
	})
	return err == nil && found
}

func (c *PBXCatalog) view(fn func(*store.Tx) error) error {
	if c.tx != nil {
		return fn(c.tx)
	}
	return c.db.View(fn)
}
