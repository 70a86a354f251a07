package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// checkpointer copies the WAL into the database file from its own
// connection, beside the writer (WAL mode allows it), so that commits do
// not wait for checkpoints. The writer's wal_autocheckpoint stays as a
// backstop, far above what the checkpointer lets the WAL grow to.
type checkpointer struct {
	db   *sql.DB
	stop chan struct{}
	done chan struct{}
}

// checkpointEvery is how often the checkpointer runs.
const checkpointEvery = 100 * time.Millisecond

func startCheckpointer(path string, opts Options) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn(path, opts, modeCheckpoint))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c, nil
}

func (c *checkpointer) loop() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			// PASSIVE never blocks the writer or readers; frames it cannot
			// copy yet are copied by a later run.
			c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// close stops the checkpointer and closes its connection.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}
