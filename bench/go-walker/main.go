// The Go-stdlib reference scanner for the cold-scan benchmark (issue #11): what a small Go tool
// built on crypto/x509 does with the same tree — walk, read every regular file, parse PEM
// certificate blocks and kubeconfigs' base64 `*-data` fields, parse each certificate
// (x509.ParseCertificate), and print one indented JSON document with a row per certificate
// (path, subject, issuer, serial, SANs, validity, status, SHA-256) — what `certdrift scan -o json`
// reports per certificate, built in memory and written at the end as certdrift does (issue #25:
// the fair reference; it used to print one unindented line per certificate without SANs or
// status). Built at benchmark time with the `go` on PATH (`go build`); stdlib only.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

type row struct {
	Path      string   `json:"path"`
	Index     int      `json:"index"`
	Subject   string   `json:"subject"`
	Issuer    string   `json:"issuer"`
	Serial    string   `json:"serial"`
	NotBefore string   `json:"notBefore"`
	NotAfter  string   `json:"notAfter"`
	SANs      []string `json:"sans"`
	Status    string   `json:"status"`
	SHA256    string   `json:"fingerprintSha256"`
}

type document struct {
	Certificates []row `json:"certificates"`
	Summary      struct {
		Certificates int `json:"certificates"`
		Unreadable   int `json:"unreadable"`
		Expired      int `json:"expired"`
		Warning      int `json:"warning"`
	} `json:"summary"`
}

func sansOf(c *x509.Certificate) []string {
	s := make([]string, 0, len(c.DNSNames)+len(c.IPAddresses)+len(c.EmailAddresses)+len(c.URIs))
	for _, d := range c.DNSNames {
		s = append(s, "DNS:"+d)
	}
	for _, ip := range c.IPAddresses {
		s = append(s, "IP Address:"+ip.String())
	}
	for _, e := range c.EmailAddresses {
		s = append(s, "email:"+e)
	}
	for _, u := range c.URIs {
		s = append(s, "URI:"+u.String())
	}
	return s
}

var dataKey = []byte("-data:")

func certsOf(b []byte) [][]byte {
	var ders [][]byte
	if bytes.Contains(b, dataKey) {
		// kubeconfig: `certificate-authority-data: <base64 PEM>`, `client-certificate-data: …`
		for _, line := range bytes.Split(b, []byte("\n")) {
			i := bytes.Index(line, dataKey)
			if i < 0 {
				continue
			}
			v := bytes.TrimSpace(line[i+len(dataKey):])
			dec, err := base64.StdEncoding.DecodeString(string(v))
			if err != nil {
				continue
			}
			ders = append(ders, pemCerts(dec)...)
		}
		return ders
	}
	return pemCerts(b)
}

func pemCerts(b []byte) [][]byte {
	var ders [][]byte
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return ders
		}
		if blk.Type == "CERTIFICATE" {
			ders = append(ders, blk.Bytes)
		}
	}
}

func main() {
	root := os.Args[1]
	now := time.Now()
	warnAt := now.Add(30 * 24 * time.Hour)
	var doc document
	doc.Certificates = []row{}
	n, bad := 0, 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			bad++
			return nil
		}
		for i, der := range certsOf(b) {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				bad++
				continue
			}
			sum := sha256.Sum256(der)
			n++
			status := "ok"
			if now.After(c.NotAfter) {
				status = "expired"
				doc.Summary.Expired++
			} else if warnAt.After(c.NotAfter) {
				status = "warning"
				doc.Summary.Warning++
			}
			doc.Certificates = append(doc.Certificates, row{
				Path: p, Index: i,
				Subject: c.Subject.String(), Issuer: c.Issuer.String(),
				Serial:    fmt.Sprintf("%X", c.SerialNumber),
				NotBefore: c.NotBefore.UTC().Format(time.RFC3339),
				NotAfter:  c.NotAfter.UTC().Format(time.RFC3339),
				SANs:      sansOf(c),
				Status:    status,
				SHA256:    hex.EncodeToString(sum[:]),
			})
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	doc.Summary.Certificates, doc.Summary.Unreadable = n, bad
	b, err := json.MarshalIndent(&doc, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	_, _ = out.Write(b)
	_ = out.WriteByte('\n')
	_ = out.Flush()
	fmt.Fprintf(os.Stderr, "certificates %d, unreadable %d\n", n, bad)
}
