package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/audit"
	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/datalock"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
	"github.com/dothi-city/dothi/internal/store/sqlite"
)

const thing = "https://uri.etsi.org/ngsi-ld/default-context/Thing"

func entityID(i int) string { return fmt.Sprintf("urn:ngsi-ld:Thing:b%d", i) }

// platform is the databases of a running embedded platform.
type platform struct {
	st  *sqlite.Store
	db  *auth.DB
	log *audit.Log
}

func openPlatform(t *testing.T, dir string) *platform {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(dir, StoreFile), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := auth.OpenDB(filepath.Join(dir, auth.FileName))
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(filepath.Join(dir, audit.FileName))
	if err != nil {
		t.Fatal(err)
	}
	return &platform{st: st, db: db, log: l}
}

func (p *platform) close() {
	p.st.Close()
	p.db.Close()
	p.log.Close()
}

// write stores entity i and audits it, as the server does for a change.
func (p *platform) write(ctx context.Context, i int) error {
	now := time.Now()
	e := &ngsild.Entity{ID: entityID(i), Types: []string{thing}, CreatedAt: now, ModifiedAt: now,
		Attrs: map[string][]*ngsild.Attribute{"https://uri.etsi.org/ngsi-ld/default-context/n": {{Type: "Property", Value: json.Number(fmt.Sprint(i))}}}}
	errs, err := p.st.Write(ctx, store.DefaultTenant, []store.Mutation{{ID: e.ID, Apply: func(*ngsild.Entity) (*ngsild.Entity, error) { return e, nil }}})
	if err == nil {
		err = errors.Join(errs...)
	}
	if err != nil {
		return err
	}
	_, err = p.log.Append(ctx, audit.Record{Actor: "test", Action: "entity.create", Resource: e.ID, SourceIP: "local", Outcome: audit.OutcomeSuccess})
	return err
}

// makeBackup fills a platform in dir with n entities and backs it up.
func makeBackup(t *testing.T, n int) (dir, archive string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "data") // alone in its parent
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	p := openPlatform(t, dir)
	for i := range n {
		if err := p.write(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	archive = filepath.Join(t.TempDir(), "dothi.tar.gz")
	if _, err := Create(context.Background(), dir, archive); err != nil {
		t.Fatal(err)
	}
	p.close()
	return dir, archive
}

func TestBackupWhileWritingRestoresAcknowledgedData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := openPlatform(t, dir)
	// The writer keeps writing through the store during the backup; acked
	// is the number of entities whose write has returned.
	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := p.write(ctx, i); err != nil {
				t.Error(err)
				return
			}
			acked.Store(int64(i + 1))
		}
	}()
	for acked.Load() < 200 {
		time.Sleep(time.Millisecond)
	}
	before := int(acked.Load())
	archive := filepath.Join(t.TempDir(), "b.tar.gz")
	m, err := Create(ctx, dir, archive)
	if err != nil {
		t.Fatal(err)
	}
	after := int(acked.Load())
	close(stop)
	wg.Wait()
	defer p.close()
	if len(m.Files) != 3 || m.DothiVersion == "" || m.Created.IsZero() {
		t.Fatalf("manifest: %+v", m)
	}
	if after == before {
		t.Log("the writer made no progress during the backup")
	}

	target := filepath.Join(t.TempDir(), "restored")
	res, err := Restore(ctx, target, archive, RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.AuditRecords < int64(before) {
		t.Errorf("audit records %d < %d acknowledged writes", res.AuditRecords, before)
	}
	rp := openPlatform(t, target)
	defer rp.close()
	for i := range before {
		if _, err := rp.st.Entity(ctx, store.DefaultTenant, entityID(i)); err != nil {
			t.Fatalf("entity %d, acknowledged before the backup, is missing: %v", i, err)
		}
	}
	rep, err := rp.log.Verify(ctx)
	if err != nil || rep.Broken != nil {
		t.Fatalf("audit chain of the restored copy: %+v %v", rep, err)
	}
	// Every entity in the copy has its audit record: the audit log is copied last.
	q, err := rp.st.Query(ctx, store.DefaultTenant, &store.Query{Limit: 0, Count: true})
	if err != nil {
		t.Fatal(err)
	}
	if int64(q.Count) > rep.Records {
		t.Errorf("%d entities but %d audit records", q.Count, rep.Records)
	}
	t.Logf("acked before %d, after %d; restored %d entities, %d audit records", before, after, q.Count, rep.Records)
}

// snapshotDir returns the names and contents of the files in dir.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		out[e.Name()] = string(b)
	}
	return out
}

// untouched checks that target still holds before and that no temporary
// directory was left beside it.
func untouched(t *testing.T, target string, before map[string]string) {
	t.Helper()
	after := snapshotDir(t, target)
	if len(after) != len(before) {
		t.Errorf("target changed: %d files, had %d", len(after), len(before))
		for name := range after {
			t.Log(name)
		}
	}
	for name, b := range before {
		if after[name] != b {
			t.Errorf("target file %s changed", name)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(target))
	for _, e := range entries {
		if e.Name() != filepath.Base(target) {
			t.Errorf("left beside the target: %s", e.Name())
		}
	}
}

func TestCorruptArchiveIsRefusedAndTargetUntouched(t *testing.T) {
	_, archive := makeBackup(t, 20)
	good, _ := os.ReadFile(archive)
	goodSum, _ := os.ReadFile(ChecksumFile(archive))
	target, _ := makeBackup(t, 3) // an existing data directory to be replaced
	before := snapshotDir(t, target)

	flip := bytes.Clone(good)
	flip[len(flip)/2] ^= 0x01
	if err := os.WriteFile(archive, flip, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Restore(context.Background(), target, archive, RestoreOptions{Force: true})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("flipped byte: %v, want a checksum error", err)
	}
	untouched(t, target, before)

	// The same flipped byte with a checksum file made to match: the
	// archive's own checks (gzip CRC, file checksums) still refuse it.
	sum := sha256.Sum256(flip)
	os.WriteFile(ChecksumFile(archive), []byte(hex.EncodeToString(sum[:])+"  x\n"), 0o600)
	if _, err := Restore(context.Background(), target, archive, RestoreOptions{Force: true}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("flipped byte with a matching checksum file: %v, want ErrCorrupt", err)
	}
	untouched(t, target, before)

	os.WriteFile(archive, good, 0o600)
	os.Remove(ChecksumFile(archive))
	if _, err := Restore(context.Background(), target, archive, RestoreOptions{Force: true}); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("no checksum file: %v", err)
	}
	untouched(t, target, before)
	os.WriteFile(ChecksumFile(archive), goodSum, 0o600)
	if _, err := Verify(archive); err != nil {
		t.Fatalf("the intact archive: %v", err)
	}
}

// rewrite rebuilds archive with edit applied to the manifest and the file
// contents, and writes a checksum file that matches the result.
func rewrite(t *testing.T, archive string, edit func(m *Manifest, files map[string][]byte)) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var m Manifest
	var order []string
	files := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		if hdr.Name == ManifestName {
			json.Unmarshal(b, &m)
			continue
		}
		order = append(order, hdr.Name)
		files[hdr.Name] = b
	}
	f.Close()
	edit(&m, files)
	var buf bytes.Buffer
	gw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gw)
	mb, _ := json.Marshal(m)
	tw.WriteHeader(&tar.Header{Name: ManifestName, Size: int64(len(mb)), Mode: 0o600, Typeflag: tar.TypeReg})
	tw.Write(mb)
	for _, name := range order {
		tw.WriteHeader(&tar.Header{Name: name, Size: int64(len(files[name])), Mode: 0o600, Typeflag: tar.TypeReg})
		tw.Write(files[name])
	}
	tw.Close()
	gw.Close()
	os.WriteFile(archive, buf.Bytes(), 0o600)
	sum := sha256.Sum256(buf.Bytes())
	os.WriteFile(ChecksumFile(archive), []byte(hex.EncodeToString(sum[:])+"  "+filepath.Base(archive)+"\n"), 0o600)
}

func TestManifestMismatchIsRefused(t *testing.T) {
	ctx := context.Background()
	for name, edit := range map[string]func(m *Manifest, files map[string][]byte){
		"checksum": func(m *Manifest, _ map[string][]byte) { m.Files[0].SHA256 = strings.Repeat("ab", 32) },
		"content": func(_ *Manifest, files map[string][]byte) {
			b := files[StoreFile]
			b[len(b)-100] ^= 0xff
		},
		"extra file": func(m *Manifest, files map[string][]byte) {
			m.Files = append(m.Files, File{Name: "../evil", SHA256: strings.Repeat("00", 32)})
		},
		"missing file": func(m *Manifest, files map[string][]byte) { delete(files, audit.FileName) },
	} {
		t.Run(name, func(t *testing.T) {
			_, archive := makeBackup(t, 5)
			rewrite(t, archive, edit)
			target := filepath.Join(t.TempDir(), "new")
			_, err := Restore(ctx, target, archive, RestoreOptions{})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("restore: %v, want ErrCorrupt", err)
			}
			t.Log(err)
			if _, serr := os.Stat(target); !errors.Is(serr, os.ErrNotExist) {
				t.Errorf("the target was created")
			}
			untouchedParent(t, target)
		})
	}
}

func untouchedParent(t *testing.T, target string) {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Dir(target))
	for _, e := range entries {
		t.Errorf("left in the target's parent: %s", e.Name())
	}
}

func TestBrokenAuditChainIsRefused(t *testing.T) {
	src, _ := makeBackup(t, 5)
	db, err := auth.OpenDB(filepath.Join(src, auth.FileName)) // keep the file set intact
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Tamper with the audit log, then back up the tampered platform.
	l, _ := audit.Open(filepath.Join(src, audit.FileName))
	l.Close()
	raw, err := openRaw(filepath.Join(src, audit.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"DROP TRIGGER audit_no_update", "UPDATE audit SET actor='mallory' WHERE seq=2"} {
		if _, err := raw.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	archive := filepath.Join(t.TempDir(), "t.tar.gz")
	if _, err := Create(context.Background(), src, archive); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "new")
	_, err = Restore(context.Background(), target, archive, RestoreOptions{})
	if !errors.Is(err, ErrInvalidData) || !strings.Contains(err.Error(), "audit chain") {
		t.Fatalf("restore of a broken audit chain: %v", err)
	}
	untouchedParent(t, target)
}

func TestRestoreRefusesInUseAndNonEmptyTargets(t *testing.T) {
	ctx := context.Background()
	_, archive := makeBackup(t, 5)
	target, _ := makeBackup(t, 2)
	before := snapshotDir(t, target)
	if _, err := Restore(ctx, target, archive, RestoreOptions{}); !errors.Is(err, ErrTargetNotEmpty) {
		t.Fatalf("non-empty target without force: %v", err)
	}
	untouched(t, target, before)
	lock, err := datalock.Acquire(target)
	if err != nil {
		t.Fatal(err)
	}
	before = snapshotDir(t, target)
	if _, err := Restore(ctx, target, archive, RestoreOptions{Force: true}); !errors.Is(err, datalock.ErrInUse) {
		t.Fatalf("target in use: %v", err)
	}
	untouched(t, target, before)
	lock.Release()

	res, err := Restore(ctx, target, archive, RestoreOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Replaced == "" {
		t.Fatal("the former content was not kept aside")
	}
	if _, err := os.Stat(filepath.Join(res.Replaced, StoreFile)); err != nil {
		t.Errorf("the former content is not at %s: %v", res.Replaced, err)
	}
	p := openPlatform(t, target)
	defer p.close()
	if _, err := p.st.Entity(ctx, store.DefaultTenant, entityID(4)); err != nil {
		t.Errorf("restored entity: %v", err)
	}

	empty := filepath.Join(t.TempDir(), "empty")
	os.Mkdir(empty, 0o750)
	if _, err := Restore(ctx, empty, archive, RestoreOptions{}); err != nil {
		t.Errorf("an existing empty directory: %v", err)
	}
}
