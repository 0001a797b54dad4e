// chart-render: a test-only stand-in for `helm template`, for machines without a
// helm binary. It uses Helm's own engine pieces — Go's text/template plus the
// sprig function library — and Helm's conventions: values.yaml deep-merged with
// -f files and --set key=value, the built-in objects (.Values, .Release, .Chart,
// .Capabilities, .Template, .Files), include/tpl/required/toYaml/fromYaml/toJson/
// fromJson/lookup, missing keys rendered empty, partials (_*.tpl) not emitted,
// `# Source:` headers. Not covered: subcharts and dependencies, hooks ordering,
// values.schema.json validation, real `lookup` (returns an empty map). The user
// path is real `helm lint` / `helm template` / `helm install`.
//
//	chart-render [-f values.yaml]... [--set a.b=c]... [--name R] [--namespace N] [--kube-version 1.20.2] [--api-versions v1,policy/v1beta1] CHART_DIR
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	yaml2 "gopkg.in/yaml.v2"
	yaml3 "gopkg.in/yaml.v3"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// APIVersions mirrors Helm's .Capabilities.APIVersions (with Has).
type APIVersions []string

func (a APIVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

// Files mirrors Helm's .Files (Get, Glob-less subset).
type Files map[string][]byte

func (f Files) Get(name string) string { return string(f[name]) }
func (f Files) GetBytes(name string) []byte { return f[name] }

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "chart-render: "+format+"\n", a...)
	os.Exit(1)
}

func readYAML(file string) map[string]interface{} {
	data, err := os.ReadFile(file)
	if err != nil {
		fail("%v", err)
	}
	out := map[string]interface{}{}
	if err := yaml3.Unmarshal(data, &out); err != nil {
		fail("%s: %v", file, err)
	}
	if out == nil {
		out = map[string]interface{}{}
	}
	return out
}

// merge deep-merges src into dst (src wins), as Helm merges values files.
func merge(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				dst[k] = merge(dm, sm)
				continue
			}
		}
		if v == nil {
			delete(dst, k)
			continue
		}
		dst[k] = v
	}
	return dst
}

func parseScalar(s string) interface{} {
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	return s
}

func setValue(vals map[string]interface{}, expr string) {
	for _, part := range strings.Split(expr, ",") {
		eq := strings.Index(part, "=")
		if eq < 0 {
			fail("--set %q: want key=value", part)
		}
		keys := strings.Split(part[:eq], ".")
		m := vals
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]interface{})
			if !ok {
				next = map[string]interface{}{}
				m[k] = next
			}
			m = next
		}
		m[keys[len(keys)-1]] = parseScalar(part[eq+1:])
	}
}

func toYAML(v interface{}) string {
	// Through JSON, like Helm's sigs.k8s.io/yaml: map keys sorted, 2-space indent.
	j, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var generic interface{}
	if err := yaml2.Unmarshal(j, &generic); err != nil {
		return ""
	}
	out, err := yaml2.Marshal(generic)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

func fromYAML(s string) map[string]interface{} {
	out := map[string]interface{}{}
	if err := yaml3.Unmarshal([]byte(s), &out); err != nil {
		out["Error"] = err.Error()
	}
	return out
}

func main() {
	var valueFiles, sets multi
	flag.Var(&valueFiles, "f", "values file (repeatable)")
	flag.Var(&valueFiles, "values", "values file (repeatable)")
	flag.Var(&sets, "set", "key=value (repeatable)")
	name := flag.String("name", "release-name", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	kubeVersion := flag.String("kube-version", "1.20.2", "Kubernetes version for .Capabilities")
	apiVersions := flag.String("api-versions", "", "extra API versions for .Capabilities.APIVersions (comma-separated)")
	flag.Parse()
	if flag.NArg() != 1 {
		fail("usage: chart-render [-f values.yaml]... [--set k=v]... [--name R] [--namespace N] CHART_DIR")
	}
	chartDir := flag.Arg(0)

	meta := readYAML(filepath.Join(chartDir, "Chart.yaml"))
	chartName, _ := meta["name"].(string)
	if chartName == "" {
		fail("%s/Chart.yaml has no name", chartDir)
	}
	chart := map[string]interface{}{}
	for k, v := range meta {
		chart[strings.ToUpper(k[:1])+k[1:]] = v
	}
	chart["Version"] = fmt.Sprint(meta["version"])
	if av, ok := meta["appVersion"]; ok {
		chart["AppVersion"] = fmt.Sprint(av)
	}

	values := map[string]interface{}{}
	if _, err := os.Stat(filepath.Join(chartDir, "values.yaml")); err == nil {
		values = readYAML(filepath.Join(chartDir, "values.yaml"))
	}
	for _, f := range valueFiles {
		values = merge(values, readYAML(f))
	}
	for _, s := range sets {
		setValue(values, s)
	}

	kv := strings.TrimPrefix(*kubeVersion, "v")
	parts := strings.SplitN(kv, ".", 3)
	for len(parts) < 2 {
		parts = append(parts, "0")
	}
	apis := APIVersions{"v1", "apps/v1", "batch/v1", "policy/v1beta1", "rbac.authorization.k8s.io/v1", "apiextensions.k8s.io/v1",
		"coordination.k8s.io/v1", "networking.k8s.io/v1", "storage.k8s.io/v1", "admissionregistration.k8s.io/v1", "discovery.k8s.io/v1beta1"}
	if *apiVersions != "" {
		apis = append(apis, strings.Split(*apiVersions, ",")...)
	}
	capabilities := map[string]interface{}{
		"KubeVersion": map[string]interface{}{"Version": "v" + kv, "GitVersion": "v" + kv, "Major": parts[0], "Minor": parts[1]},
		"APIVersions": apis,
		"HelmVersion": map[string]interface{}{"Version": "v3-chart-render"},
	}
	release := map[string]interface{}{"Name": *name, "Namespace": *namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1}

	files := Files{}
	var templates []string
	err := filepath.Walk(chartDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(chartDir, p)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rel, "templates/") {
			templates = append(templates, rel)
		} else {
			files[rel] = data
		}
		return nil
	})
	if err != nil {
		fail("%v", err)
	}
	sort.Strings(templates)

	t := template.New("gotpl").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["toJson"] = func(v interface{}) string { b, _ := json.Marshal(v); return string(b) }
	funcs["fromJson"] = func(s string) map[string]interface{} {
		out := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			out["Error"] = err.Error()
		}
		return out
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	funcs["lookup"] = func(string, string, string, string) map[string]interface{} { return map[string]interface{}{} }
	includeDepth := 0
	funcs["include"] = func(name string, data interface{}) (string, error) {
		includeDepth++
		defer func() { includeDepth-- }()
		if includeDepth > 100 {
			return "", fmt.Errorf("include %q: too deep", name)
		}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		c, err := t.Clone()
		if err != nil {
			return "", err
		}
		tt, err := c.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := tt.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	t.Funcs(funcs)
	for _, rel := range templates {
		data, err := os.ReadFile(filepath.Join(chartDir, rel))
		if err != nil {
			fail("%v", err)
		}
		if _, err := t.New(path.Join(chartName, rel)).Parse(string(data)); err != nil {
			fail("%v", err)
		}
	}

	var out bytes.Buffer
	for _, rel := range templates {
		base := path.Base(rel)
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" {
			continue
		}
		full := path.Join(chartName, rel)
		top := map[string]interface{}{
			"Values": values, "Release": release, "Chart": chart, "Capabilities": capabilities, "Files": files,
			"Template": map[string]interface{}{"Name": full, "BasePath": path.Join(chartName, "templates")},
		}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, full, top); err != nil {
			fail("%v", err)
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		for _, doc := range splitDocs(text) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", full, strings.TrimRight(strings.TrimLeft(doc, "\n"), " \n"))
		}
	}
	os.Stdout.Write(out.Bytes())
}

func splitDocs(s string) []string {
	var docs []string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimRight(line, " ") == "---" {
			docs = append(docs, strings.Join(cur, "\n"))
			cur = nil
			continue
		}
		cur = append(cur, line)
	}
	return append(docs, strings.Join(cur, "\n"))
}

func stripComments(s string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
