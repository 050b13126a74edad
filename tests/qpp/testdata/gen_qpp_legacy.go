//go:build ignore

// Generates qpp_legacy_v1_1_18.json: full pads and sample streams of the legacy QPP variant
// (xtaci/qpp v1.1.16–v1.1.18, as vendored by kcptun builds of mid-2024 to late 2025), for the
// same keys and pad counts as tests/vectors/latest/qpp.json, so `new Qpp(seed, n,
// { legacy: true })` can be pinned to every pad byte.
//
// How it was run (Debian bookworm: golang-go 1.19, golang-golang-x-crypto-dev):
//
//  1. copy qpp.go, prng.go and pkg.go of tag v1.1.18 to $GOPATH/src/github.com/xtaci/qpp;
//  2. for Go 1.19, replace unsafe.SliceData(qpp.pads) by &qpp.pads[0] (same for rpads);
//  3. add a file with `func (q *QuantumPermutationPad) RawPads() ([]byte, []byte)
//     { return q.pads, q.rpads }` to that package (read-only access for this generator);
//  4. cd tests/qpp/testdata && GO111MODULE=off GOPATH=$GOPATH:/usr/share/gocode \
//     go run gen_qpp_legacy.go
package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"

	"github.com/xtaci/qpp"
)

func counterStream(label string, n int) []byte {
	var out []byte
	for i := uint64(0); len(out) < n; i++ {
		var ctr [8]byte
		binary.LittleEndian.PutUint64(ctr[:], i)
		h := sha256.Sum256(append([]byte(label), ctr[:]...))
		out = append(out, h[:]...)
	}
	return out[:n]
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

type stream struct {
	Name       string `json:"name"`
	Plaintext  string `json:"plaintext"`
	ChunkedAs  []int  `json:"chunked_as"`
	Ciphertext string `json:"ciphertext"`
}

type result struct {
	Name       string   `json:"name"`
	Seed       string   `json:"seed"`
	Count      int      `json:"count"`
	PadsSha256 string   `json:"pads_sha256"`
	RpadsSha256 string  `json:"rpads_sha256"`
	Pad0       string   `json:"pad0"`
	PadLast    string   `json:"pad_last"`
	Streams    []stream `json:"streams"`
	Mib        *struct {
		PlaintextSha256  string `json:"plaintext_sha256"`
		CiphertextSha256 string `json:"ciphertext_sha256"`
	} `json:"one_mib_check,omitempty"`
}

func main() {
	raw, err := os.ReadFile("../../vectors/latest/qpp.json")
	if err != nil {
		panic(err)
	}
	var doc struct {
		Cases []struct {
			Name  string `json:"name"`
			Seed  string `json:"seed"`
			Count int    `json:"count"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		panic(err)
	}
	var results []result
	for _, c := range doc.Cases {
		seed, _ := hex.DecodeString(c.Seed)
		q := qpp.NewQPP(seed, uint16(c.Count))
		pads, rpads := q.RawPads()
		r := result{Name: c.Name, Seed: c.Seed, Count: c.Count, PadsSha256: sum(pads),
			RpadsSha256: sum(rpads), Pad0: hex.EncodeToString(pads[:256]),
			PadLast: hex.EncodeToString(pads[len(pads)-256:])}
		inputs := []struct {
			name   string
			data   []byte
			chunks []int
		}{
			{"hello", []byte("hello, quantum world"), []int{3, -1}},
			{"zeros16", make([]byte, 16), []int{8, -1}},
			{"random_1000", counterStream("qpp-legacy/1000", 1000), []int{1, 7, 8, 9, 100, 500, -1}},
		}
		for _, in := range inputs {
			data := append([]byte(nil), in.data...)
			prng := qpp.CreatePRNG(seed)
			p := 0
			for _, n := range in.chunks {
				if n < 0 || p+n > len(data) {
					n = len(data) - p
				}
				q.EncryptWithPRNG(data[p:p+n], prng)
				p += n
			}
			back := append([]byte(nil), data...)
			q.DecryptWithPRNG(back, qpp.CreatePRNG(seed))
			if string(back) != string(in.data) {
				panic("round trip")
			}
			r.Streams = append(r.Streams, stream{in.name, hex.EncodeToString(in.data), in.chunks,
				hex.EncodeToString(data)})
		}
		if c.Name == "default_key_61" {
			pt := counterStream("qpp/1mib", 1<<20)
			ct := append([]byte(nil), pt...)
			q.EncryptWithPRNG(ct, qpp.CreatePRNG(seed))
			r.Mib = &struct {
				PlaintextSha256  string `json:"plaintext_sha256"`
				CiphertextSha256 string `json:"ciphertext_sha256"`
			}{sum(pt), sum(ct)}
		}
		results = append(results, r)
	}
	out := map[string]any{
		"description": "xtaci/qpp v1.1.18 (legacy: 6 chunks, shuffle encrypts only sum[0:16]) run " +
			"with Go 1.19 after the syntax-only backport described in gen_qpp_legacy.go; keys and " +
			"counts from tests/vectors/latest/qpp.json; random_1000 plaintext = SHA-256 counter " +
			"stream labelled qpp-legacy/1000",
		"cases": results,
	}
	f, err := os.Create("qpp_legacy_v1_1_18.json")
	if err != nil {
		panic(err)
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
	f.Close()
}
