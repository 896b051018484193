// Command tlogcheck checks Consent Ledger's transparency log with Go's own implementation:
// golang.org/x/mod/sumdb/note for signed checkpoints and golang.org/x/mod/sumdb/tlog for
// tiles, tree hashes and proofs. Given the receipts too (the NDJSON export's objects), it
// walks their chain with its own RFC 8785 hashing (every member but context and hash, with
// banner_build only when a receipt has one) and holds each hash to the log's entry. Given
// site scan reports, it recomputes each report's hash the same way and opens its signed note.
// tests/interop/test_go_tlog.py writes the input directory, builds this program and runs it;
// it prints a JSON report, or FAIL and exits 1.
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type checkpoint struct {
	Note string `json:"note"`
	Size int64  `json:"size"`
	Root string `json:"root"`
}

type inclusion struct {
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Proof []string `json:"proof"`
}

type consistency struct {
	Old   int64    `json:"old"`
	New   int64    `json:"new"`
	Proof []string `json:"proof"`
}

type tilePath struct {
	Level int    `json:"level"` // -1: entries
	Index int64  `json:"index"`
	Width int    `json:"width"`
	Path  string `json:"path"` // as C2SP spells it, from consent.tlog.tile_path
}

type input struct {
	Origin      string        `json:"origin"`
	VKey        string        `json:"vkey"`
	SKey        string        `json:"skey"`
	Checkpoints []checkpoint  `json:"checkpoints"`
	Inclusion   []inclusion   `json:"inclusion"`
	Consistency []consistency `json:"consistency"`
	Paths       []tilePath    `json:"paths"`
	// Receipts as the API shows them, in seq order (optional).
	Receipts []json.RawMessage `json:"receipts"`
	// Scan reports as the API shows them, each signed by the log key (optional; the log's
	// members may then be left out).
	Scans []scanReport `json:"scans"`
}

type scanReport struct {
	Netloc string          `json:"netloc"`
	Report json.RawMessage `json:"report"`
}

type report struct {
	Checkpoints int    `json:"checkpoints"`
	Inclusion   int    `json:"inclusion"`
	Consistency int    `json:"consistency"`
	Paths       int    `json:"paths"`
	TilesRead   int    `json:"tiles_read"`
	GoSKey      string `json:"go_skey"`
	GoVKey      string `json:"go_vkey"`
	GoNote      string `json:"go_note"`
	Receipts    int    `json:"receipts"`
	WithBuild   int    `json:"with_build"`
	Scans       int    `json:"scans"`
}

func main() {
	out, err := run(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(out)
}

func run(dir string) (*report, error) {
	var in input
	raw, err := os.ReadFile(filepath.Join(dir, "input.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, err
	}
	out := &report{}
	verifier, signer, err := keys(in)
	if err != nil {
		return nil, err
	}
	if len(in.Checkpoints) > 0 {
		if err := checkLog(dir, in, verifier, signer, out); err != nil {
			return nil, err
		}
	}
	out.Scans, err = checkScans(in.Scans, verifier, signer)
	return out, err
}

// checkLog checks the checkpoints, tiles, proofs and receipts, and signs with a Go key.
func checkLog(dir string, in input, verifier note.Verifier, signer note.Signer, out *report) error {
	var err error
	for _, c := range in.Checkpoints {
		if err := checkCheckpoint(in.Origin, c, verifier, signer); err != nil {
			return fmt.Errorf("checkpoint %d: %v", c.Size, err)
		}
		out.Checkpoints++
	}
	last := in.Checkpoints[len(in.Checkpoints)-1]
	tiles := &dirTiles{dir: dir}
	hr := tlog.TileHashReader(tlog.Tree{N: last.Size, Hash: mustHash(last.Root)}, tiles)
	for _, c := range in.Checkpoints {
		if th, err := tlog.TreeHash(c.Size, hr); err != nil || th != mustHash(c.Root) {
			return fmt.Errorf("TreeHash(%d) from the tiles = %v, %v; checkpoint says %s", c.Size, th, err, c.Root)
		}
	}
	for _, p := range in.Inclusion {
		if err := checkInclusion(p, last.Size, hr, tiles); err != nil {
			return fmt.Errorf("inclusion of %d in %d: %v", p.Index, p.Size, err)
		}
		out.Inclusion++
	}
	for _, p := range in.Consistency {
		if err := checkConsistency(p, hr); err != nil {
			return fmt.Errorf("consistency %d..%d: %v", p.Old, p.New, err)
		}
		out.Consistency++
	}
	for _, p := range in.Paths {
		if err := checkPath(p); err != nil {
			return err
		}
		out.Paths++
	}
	if out.Receipts, out.WithBuild, err = checkChain(in.Receipts, last.Size, tiles); err != nil {
		return err
	}
	out.TilesRead = tiles.read
	out.GoSKey, out.GoVKey, out.GoNote, err = goSigned(last)
	return err
}

// checkScans holds each scan report to its signed note: note.Open with the log key, the
// text <netloc>/scan/<scan_id>\n<report_hash>\n, the hash recomputed here (RFC 8785 of the
// report without report_hash and signature), and the same note signed again by Go.
func checkScans(scans []scanReport, v note.Verifier, s note.Signer) (int, error) {
	for i, scan := range scans {
		var report map[string]interface{}
		decoder := json.NewDecoder(bytes.NewReader(scan.Report))
		decoder.UseNumber()
		if err := decoder.Decode(&report); err != nil {
			return 0, fmt.Errorf("scan %d: %v", i+1, err)
		}
		signature, _ := report["signature"].(string)
		n, err := note.Open([]byte(signature), note.VerifierList(v))
		if err != nil {
			return 0, fmt.Errorf("scan %d: note.Open: %v", i+1, err)
		}
		body := map[string]interface{}{}
		for name, value := range report {
			if name != "report_hash" && name != "signature" {
				body[name] = value
			}
		}
		var canonical bytes.Buffer
		if err := writeCanonical(&canonical, body); err != nil {
			return 0, fmt.Errorf("scan %d: %v", i+1, err)
		}
		sum := sha256.Sum256(canonical.Bytes())
		digest := hex.EncodeToString(sum[:])
		want := fmt.Sprintf("%s/scan/%v\n%s\n", scan.Netloc, report["scan_id"], digest)
		if report["report_hash"] != digest || n.Text != want {
			return 0, fmt.Errorf("scan %d: the report hashes to %s; its note says %q", i+1, digest, n.Text)
		}
		again, err := note.Sign(&note.Note{Text: n.Text}, s)
		if err != nil || !bytes.Equal(again, []byte(signature)) {
			return 0, fmt.Errorf("scan %d: note.Sign gives %q", i+1, again)
		}
	}
	return len(scans), nil
}

// checkChain walks the receipts: seq continuity, each hash recomputed here, each link, and
// the first treeSize receipts' hashes are the log's entries. It counts receipts with a build.
func checkChain(receipts []json.RawMessage, treeSize int64, tiles *dirTiles) (int, int, error) {
	prev, withBuild := strings.Repeat("0", 64), 0
	for i, raw := range receipts {
		var receipt map[string]interface{}
		decoder := json.NewDecoder(bytes.NewReader(raw))
		decoder.UseNumber()
		if err := decoder.Decode(&receipt); err != nil {
			return 0, 0, fmt.Errorf("receipt %d: %v", i+1, err)
		}
		if seq, ok := receipt["seq"].(json.Number); !ok || seq.String() != strconv.Itoa(i+1) {
			return 0, 0, fmt.Errorf("receipt %d: seq %v", i+1, receipt["seq"])
		}
		if receipt["prev_hash"] != prev {
			return 0, 0, fmt.Errorf("receipt %d: prev_hash is not the hash before", i+1)
		}
		body := map[string]interface{}{}
		for name, value := range receipt {
			if name == "context" || name == "hash" || (name == "banner_build" && value == nil) {
				continue
			}
			body[name] = value
		}
		if _, ok := body["banner_build"]; ok {
			withBuild++
		}
		var canonical bytes.Buffer
		if err := writeCanonical(&canonical, body); err != nil {
			return 0, 0, fmt.Errorf("receipt %d: %v", i+1, err)
		}
		sum := sha256.Sum256(canonical.Bytes())
		if hex.EncodeToString(sum[:]) != receipt["hash"] {
			return 0, 0, fmt.Errorf("receipt %d: its body hashes to %x, not its hash %v", i+1, sum, receipt["hash"])
		}
		if int64(i) < treeSize {
			entry, err := entryData(int64(i), treeSize, tiles)
			if err != nil || !bytes.Equal(entry, sum[:]) {
				return 0, 0, fmt.Errorf("receipt %d: the log's entry is %x (%v), not its hash", i+1, entry, err)
			}
		}
		prev = hex.EncodeToString(sum[:])
	}
	return len(receipts), withBuild, nil
}

// writeCanonical writes RFC 8785 JSON of what receipts and scan reports hold: objects
// (members sorted by UTF-16 code units), arrays, strings, integers, booleans and null.
func writeCanonical(out *bytes.Buffer, value interface{}) error {
	switch v := value.(type) {
	case nil:
		out.WriteString("null")
	case bool:
		out.WriteString(strconv.FormatBool(v))
	case json.Number:
		n, err := strconv.ParseInt(v.String(), 10, 64)
		if err != nil || n > 1<<53 || n < -(1<<53) {
			return fmt.Errorf("not an integer receipts hold: %s", v)
		}
		out.WriteString(strconv.FormatInt(n, 10))
	case string:
		writeString(out, v)
	case []interface{}:
		out.WriteByte('[')
		for i, item := range v {
			if i > 0 {
				out.WriteByte(',')
			}
			if err := writeCanonical(out, item); err != nil {
				return err
			}
		}
		out.WriteByte(']')
	case map[string]interface{}:
		names := make([]string, 0, len(v))
		for name := range v {
			names = append(names, name)
		}
		sort.Slice(names, func(a, b int) bool { return utf16Less(names[a], names[b]) })
		out.WriteByte('{')
		for i, name := range names {
			if i > 0 {
				out.WriteByte(',')
			}
			writeString(out, name)
			out.WriteByte(':')
			if err := writeCanonical(out, v[name]); err != nil {
				return err
			}
		}
		out.WriteByte('}')
	default:
		return fmt.Errorf("a value receipts never hold: %v", v)
	}
	return nil
}

func writeString(out *bytes.Buffer, text string) {
	out.WriteByte('"')
	for _, r := range text {
		switch {
		case r == '"' || r == '\\':
			out.WriteByte('\\')
			out.WriteRune(r)
		case r == '\b':
			out.WriteString(`\b`)
		case r == '\t':
			out.WriteString(`\t`)
		case r == '\n':
			out.WriteString(`\n`)
		case r == '\f':
			out.WriteString(`\f`)
		case r == '\r':
			out.WriteString(`\r`)
		case r < 0x20:
			fmt.Fprintf(out, `\u%04x`, r)
		default:
			out.WriteRune(r)
		}
	}
	out.WriteByte('"')
}

func utf16Less(a, b string) bool {
	x, y := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(x) && i < len(y); i++ {
		if x[i] != y[i] {
			return x[i] < y[i]
		}
	}
	return len(x) < len(y)
}

// keys parses our key formats with note.NewVerifier and note.NewSigner.
func keys(in input) (note.Verifier, note.Signer, error) {
	verifier, err := note.NewVerifier(in.VKey)
	if err != nil {
		return nil, nil, fmt.Errorf("NewVerifier(%q): %v", in.VKey, err)
	}
	signer, err := note.NewSigner(in.SKey)
	if err != nil {
		return nil, nil, fmt.Errorf("NewSigner: %v", err)
	}
	if signer.Name() != verifier.Name() || signer.KeyHash() != verifier.KeyHash() {
		return nil, nil, errors.New("signer and verifier keys do not match")
	}
	return verifier, signer, nil
}

// checkCheckpoint opens our note, parses its text per C2SP, and signs the same text with Go.
func checkCheckpoint(origin string, c checkpoint, v note.Verifier, s note.Signer) error {
	n, err := note.Open([]byte(c.Note), note.VerifierList(v))
	if err != nil {
		return fmt.Errorf("note.Open: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) != 4 || lines[0] != origin {
		return fmt.Errorf("not a checkpoint for %s: %q", origin, n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || strconv.FormatInt(size, 10) != lines[1] || size != c.Size {
		return fmt.Errorf("size line %q", lines[1])
	}
	if root, err := tlog.ParseHash(lines[2]); err != nil || root != mustHash(c.Root) {
		return fmt.Errorf("root line %q", lines[2])
	}
	again, err := note.Sign(&note.Note{Text: n.Text}, s)
	if err != nil || !bytes.Equal(again, []byte(c.Note)) {
		return fmt.Errorf("note.Sign gives %q", again)
	}
	forged := strings.Replace(c.Note, "\n"+lines[1]+"\n", "\n"+lines[1]+"0\n", 1)
	if _, err := note.Open([]byte(forged), note.VerifierList(v)); err == nil {
		return errors.New("note.Open accepted an altered checkpoint")
	}
	return nil
}

func checkInclusion(p inclusion, treeSize int64, hr tlog.HashReader, tiles *dirTiles) error {
	proof := tlog.RecordProof(mustHashes(p.Proof))
	root, err := tlog.TreeHash(p.Size, hr)
	if err != nil {
		return err
	}
	leaf, err := entryHash(p.Index, treeSize, tiles)
	if err != nil {
		return err
	}
	stored, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, p.Index)})
	if err != nil || stored[0] != leaf {
		return fmt.Errorf("level-0 tile hash %v (%v) is not RecordHash(entry) %v", stored, err, leaf)
	}
	if err := tlog.CheckRecord(proof, p.Size, root, p.Index, leaf); err != nil {
		return fmt.Errorf("CheckRecord: %v", err)
	}
	ours, err := tlog.ProveRecord(p.Size, p.Index, hr)
	if err != nil || fmt.Sprint(ours) != fmt.Sprint(proof) {
		return fmt.Errorf("ProveRecord gives %v (%v), we gave %v", ours, err, proof)
	}
	if len(proof) > 0 {
		proof[len(proof)-1][7] ^= 1
		if tlog.CheckRecord(proof, p.Size, root, p.Index, leaf) == nil {
			return errors.New("CheckRecord accepted an altered proof")
		}
	}
	return nil
}

func checkConsistency(p consistency, hr tlog.HashReader) error {
	proof := tlog.TreeProof(mustHashes(p.Proof))
	oldRoot, err1 := tlog.TreeHash(p.Old, hr)
	newRoot, err2 := tlog.TreeHash(p.New, hr)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("TreeHash: %v, %v", err1, err2)
	}
	if err := tlog.CheckTree(proof, p.New, newRoot, p.Old, oldRoot); err != nil {
		return fmt.Errorf("CheckTree: %v", err)
	}
	ours, err := tlog.ProveTree(p.New, p.Old, hr)
	if err != nil || fmt.Sprint(ours) != fmt.Sprint(proof) {
		return fmt.Errorf("ProveTree gives %v (%v), we gave %v", ours, err, proof)
	}
	return nil
}

// entryHash is the record hash of entry n (see entryData).
func entryHash(n, treeSize int64, tiles *dirTiles) (tlog.Hash, error) {
	entry, err := entryData(n, treeSize, tiles)
	if err != nil {
		return tlog.Hash{}, err
	}
	return tlog.RecordHash(entry), nil
}

// entryData reads record n from the entry bundle tile/8/data/N[.p/W] of a tree of size treeSize.
func entryData(n, treeSize int64, tiles *dirTiles) ([]byte, error) {
	t := tlog.Tile{H: 8, L: -1, N: n / 256, W: 256}
	if rest := treeSize - t.N*256; rest < 256 {
		t.W = int(rest)
	}
	data, err := tiles.file(t)
	if err != nil {
		return nil, err
	}
	var entries [][]byte
	for len(data) >= 2 {
		size := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+size {
			return nil, errors.New("entry bundle ends inside an entry")
		}
		entries, data = append(entries, data[2:2+size]), data[2+size:]
	}
	if len(data) != 0 || len(entries) != t.W {
		return nil, fmt.Errorf("%s holds %d entries, not %d", t.Path(), len(entries), t.W)
	}
	return entries[n%256], nil
}

func checkPath(p tilePath) error {
	t := tlog.Tile{H: 8, L: p.Level, N: p.Index, W: p.Width}
	if got := c2spPath(t); got != p.Path {
		return fmt.Errorf("Go's %s is C2SP %s, we said %s", t.Path(), got, p.Path)
	}
	if back, err := tlog.ParseTilePath(t.Path()); err != nil || back != t {
		return fmt.Errorf("ParseTilePath(%s) = %v, %v", t.Path(), back, err)
	}
	return nil
}

// c2spPath maps Go's tile/H/L/N[.p/W] (L "data" for entries) to C2SP's tile/L/N[.p/W].
func c2spPath(t tlog.Tile) string {
	rest := strings.TrimPrefix(t.Path(), "tile/8/")
	if strings.HasPrefix(rest, "data/") {
		rest = "entries/" + strings.TrimPrefix(rest, "data/")
	}
	return "tile/" + rest
}

// goSigned signs the last checkpoint's text with a key Go generates, for Python to verify.
func goSigned(last checkpoint) (string, string, string, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "go.example")
	if err != nil {
		return "", "", "", err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return "", "", "", err
	}
	text := last.Note[:strings.Index(last.Note, "\n\n")+1]
	msg, err := note.Sign(&note.Note{Text: text}, signer)
	return skey, vkey, string(msg), err
}

// dirTiles serves tiles from files under Go's paths and checks the C2SP copy is identical.
type dirTiles struct {
	dir  string
	read int
}

func (d *dirTiles) Height() int { return 8 }

func (d *dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := d.file(t)
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (d *dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func (d *dirTiles) file(t tlog.Tile) ([]byte, error) {
	d.read++
	data, err := os.ReadFile(filepath.Join(d.dir, "go", filepath.FromSlash(t.Path())))
	if err != nil {
		return nil, err
	}
	c2sp, err := os.ReadFile(filepath.Join(d.dir, "c2sp", filepath.FromSlash(c2spPath(t))))
	if err != nil || !bytes.Equal(c2sp, data) {
		return nil, fmt.Errorf("C2SP copy of %s differs or is missing (%v)", t.Path(), err)
	}
	return data, nil
}

func mustHash(b64 string) tlog.Hash {
	h, err := tlog.ParseHash(b64)
	if err != nil {
		panic(fmt.Sprintf("hash %q: %v", b64, err))
	}
	return h
}

func mustHashes(list []string) []tlog.Hash {
	out := make([]tlog.Hash, len(list))
	for i, b64 := range list {
		out[i] = mustHash(b64)
	}
	return out
}
