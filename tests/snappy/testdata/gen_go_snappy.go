//go:build ignore

// Generates go_snappy_cases.json: golang/snappy's framed output (and block output) for
// synthetic inputs that the TypeScript tests rebuild from the same recipe, so the encoder is
// pinned against the real Go library on far more shapes than tests/vectors/snappy.json has.
//
// Run with Debian's packages (golang-go, golang-github-golang-snappy-dev = snappy 0.0.2,
// the version the 2021 kcptun uses; its encoder is unchanged in v1.0.0), on amd64 so the
// assembly encoder that kcptun binaries use is the one exercised:
//
//	cd tests/snappy/testdata && GO111MODULE=off GOPATH=/usr/share/gocode go run gen_go_snappy.go
//
// Recipe (mirrored by tests/snappy/_helpers.ts makeInput):
//
//	xorshift32: s ^= s<<13; s ^= s>>17; s ^= s<<5 (uint32), output s
//	random:   byte i = next() & 0xff
//	alphabet: byte i = 'a' + next() % param
//	lz:       repeat until length: x = next(); if i < 4 || x%4 == 0 { n = 1 + next()%32
//	          literal bytes next()&0xff } else { off = 1 + next()%min(i, param);
//	          n = 4 + next()%200, then if x%16 == 1 a second draw n = 4 + next()%3000;
//	          copy out[i] = out[i-off] bytewise }; stop at length
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"

	"github.com/golang/snappy"
)

type rng struct{ s uint32 }

func (r *rng) next() uint32 {
	r.s ^= r.s << 13
	r.s ^= r.s >> 17
	r.s ^= r.s << 5
	return r.s
}

func makeInput(kind string, seed uint32, length int, param int) []byte {
	r := &rng{seed}
	out := make([]byte, length)
	switch kind {
	case "random":
		for i := range out {
			out[i] = byte(r.next())
		}
	case "alphabet":
		for i := range out {
			out[i] = byte(97 + r.next()%uint32(param))
		}
	case "lz":
		i := 0
		for i < length {
			x := r.next()
			if i < 4 || x%4 == 0 {
				n := 1 + int(r.next()%32)
				for j := 0; j < n && i < length; j++ {
					out[i] = byte(r.next())
					i++
				}
			} else {
				lim := i
				if param < lim {
					lim = param
				}
				off := 1 + int(r.next()%uint32(lim))
				n := 4 + int(r.next()%200)
				if x%16 == 1 {
					n = 4 + int(r.next()%3000)
				}
				for j := 0; j < n && i < length; j++ {
					out[i] = out[i-off]
					i++
				}
			}
		}
	default:
		panic(kind)
	}
	return out
}

type result struct {
	Kind         string `json:"kind"`
	Seed         uint32 `json:"seed"`
	Length       int    `json:"length"`
	Param        int    `json:"param"`
	InputSha256  string `json:"input_sha256"`
	BlockLength  int    `json:"block_length"`
	BlockSha256  string `json:"block_sha256"`
	FramedLength int    `json:"framed_length"`
	FramedSha256 string `json:"framed_sha256"`
	FramedHex    string `json:"framed_hex,omitempty"`
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func main() {
	lengths := []int{16, 17, 18, 19, 20, 24, 31, 32, 33, 47, 64, 100, 255, 256, 257, 1000, 2047,
		2048, 2049, 4096, 8191, 16383, 16384, 16385, 32768, 65535, 65536, 65537, 100000, 131072,
		200003}
	type kp struct {
		kind  string
		param int
	}
	kinds := []kp{{"random", 0}, {"alphabet", 2}, {"alphabet", 4}, {"alphabet", 16},
		{"lz", 64}, {"lz", 2047}, {"lz", 4096}, {"lz", 70000}}
	var results []result
	seed := uint32(1)
	for _, k := range kinds {
		for _, n := range lengths {
			seed = seed*2654435761 + 12345
			if seed == 0 {
				seed = 1
			}
			in := makeInput(k.kind, seed, n, k.param)
			block := snappy.Encode(nil, in)
			var framed bytes.Buffer
			w := snappy.NewBufferedWriter(&framed)
			w.Write(in)
			w.Flush()
			res := result{k.kind, seed, n, k.param, sum(in), len(block), sum(block),
				framed.Len(), sum(framed.Bytes()), ""}
			if framed.Len() <= 600 {
				res.FramedHex = hex.EncodeToString(framed.Bytes())
			}
			// The reader must accept what the writer wrote.
			got := new(bytes.Buffer)
			if _, err := got.ReadFrom(snappy.NewReader(bytes.NewReader(framed.Bytes()))); err != nil || !bytes.Equal(got.Bytes(), in) {
				panic("round trip failed")
			}
			results = append(results, res)
		}
	}
	doc := map[string]any{
		"description": "golang/snappy 0.0.2 (Debian golang-github-golang-snappy-dev 0.0.2-3, amd64) " +
			"Encode and NewBufferedWriter+Write+Flush of synthetic inputs; see gen_go_snappy.go for the recipe",
		"cases": results,
	}
	f, err := os.Create("go_snappy_cases.json")
	if err != nil {
		panic(err)
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		panic(err)
	}
	f.Close()
}
