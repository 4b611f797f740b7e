"""--format as Docker users type it, on real commands under
`berth daemon --root DIR`: Go template actions and functions over ps,
images, inspect, network ls, volume ls and info rows, compared with what
Docker's documentation ("Format command and log output", the inspect and
ps references) prints; Docker's template errors (one line, exit 1,
nothing on stdout); CreatedAt as Go's time; info --format; system df
counting a layer two images share once, with -v's SHARED SIZE and UNIQUE
SIZE, its --format json shape and the Build Cache row."""
import json
import re

from hostenv import build_context, busybox_daemon, require_bridge_network

GO_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC"


def setup_module(build):
    require_bridge_network()
    d = busybox_daemon(build)
    # a second image on busybox's layer: one layer shared by two images
    d.ok("build", "-q", "-t", "child:1", build_context(
        d, "FROM busybox\nRUN head -c 20000 /dev/zero > /blob\nLABEL role=child\n"))
    d.ok("volume", "create", "data")
    d.ok("network", "create", "--label", "tier=back", "backnet")
    d.ok("run", "-d", "--name", "web", "--label", "com.example.role=front",
         "--label", "team=a", "-p", "8080:80", "-v", "data:/srv", "busybox", "sleep", "600")
    d.ok("run", "--name", "done", "--network", "none", "child:1", "true")
    return d


def teardown_module(d):
    d.stop()


def test_ps_pipelines_functions_and_label(d):
    assert d.ok("ps", "--format", "{{.Names | upper}}") == "WEB\n"
    out = d.ok("ps", "-a", "--format",
               '{{.Names}}:{{if eq .State "running"}}up{{else}}{{.State}}{{end}}:'
               '{{.Label "com.example.role"}}:{{len .Names}}')
    assert sorted(out.split()) == ["done:exited::4", "web:up:front:3"], out
    # a table with functions in its columns: the header keeps its title
    # through Docker's header functions (upper), printf formats it as a row
    out = d.ok("ps", "--format", 'table {{.Names | upper}}\\t{{printf "%-6s|" .State}}')
    assert out.splitlines() == ["NAMES     STATE |", "WEB       running|"], out
    out = d.ok("ps", "--format", '{{range $i, $p := split .Labels ","}}{{$i}}={{$p}} {{end}}')
    assert out in ("0=com.example.role=front 1=team=a \n", "0=team=a 1=com.example.role=front \n")
    row = json.loads(d.ok("ps", "--format", "{{json .}}"))
    assert re.fullmatch(GO_TIME, row["CreatedAt"]), row


def test_template_errors_are_dockers(d):
    rc, out, err = d.cli("ps", "-a", "--format", "{{.Names}} {{.Nope}}")
    assert (rc, out) == (1, ""), (rc, out, err)
    assert err == ('berth: template parsing error: template: :1:13: executing "" at <.Nope>: '
                   "can't evaluate field Nope in type struct\n"), err
    rc, out, err = d.cli("images", "--format", "{{if .ID}}x")
    assert (rc, out, err) == (1, "", "berth: template parsing error: template: :1: "
                              "unexpected EOF\n"), (rc, out, err)
    rc, out, err = d.cli("inspect", "-f", "{{nope .Id}}", "web")
    assert rc == 1 and out == "" and 'function "nope" not defined' in err, (rc, out, err)
    rc, out, err = d.cli("ps", "--format", '{{index .Names 1}}')
    assert rc == 1 and "error calling index: can't index item of type string" in err, err


def test_inspect_examples_from_dockers_docs(d):
    # docker inspect --format '{{join .Args " , "}}' / {{upper .Name}} / {{split .Image ":"}}
    assert d.ok("inspect", "-f", '{{join .Args " , "}}', "web") == "600\n"
    assert d.ok("inspect", "-f", "{{upper .Name}}|{{title .Name}}|{{lower .Name}}", "web") == \
        "/WEB|/Web|/web\n"
    assert d.ok("inspect", "-f", '{{len (split .Image ":")}}', "web") == "2\n"
    # the published port: (index (index .NetworkSettings.Ports "80/tcp") 0).HostPort
    assert d.ok("inspect", "-f", '{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}',
                "web") == "8080\n"
    out = d.ok("inspect", "-f", "{{range $p, $conf := .NetworkSettings.Ports}}"
               "{{$p}} -> {{(index $conf 0).HostPort}}{{end}}", "web")
    assert out == "80/tcp -> 8080\n", out
    # println in a range, one line each (Docker's docs: the networks' addresses)
    out = d.ok("inspect", "-f", "{{range .NetworkSettings.Networks}}{{println .IPAddress}}{{end}}",
               "web")
    assert re.fullmatch(r"172\.\d+\.\d+\.\d+\n\n", out), out
    out = d.ok("inspect", "-f", "{{range .Mounts}}{{.Name}}:{{.Destination}}{{end}} "
               '{{index .Config.Labels "com.example.role"}} {{.Config.Labels}}', "web")
    assert out == "data:/srv front map[com.example.role:front team:a]\n", out
    out = d.ok("inspect", "-f", "{{with .State}}{{if and .Running (not .Paused)}}{{.Status}}"
               "{{end}}{{end}} {{.State.ExitCode | printf \"%03d\"}}", "web", "done")
    assert out == "running 000\nexited 000\n" or out == " running 000\n exited 000\n" or \
        out.split() == ["running", "000", "000"], out


def test_images_networks_volumes_info(d):
    out = d.ok("images", "--format", "{{.Repository}}:{{.Tag}}|{{json .CreatedAt}}")
    rows = dict(l.split("|") for l in out.splitlines())
    assert set(rows) == {"busybox:latest", "child:1"}, out
    assert all(re.fullmatch('"' + GO_TIME + '"', v) for v in rows.values()), out
    out = d.ok("network", "ls", "--format", '{{if .Label "tier"}}{{.Name}}={{.Label "tier"}}{{end}}')
    assert [l for l in out.splitlines() if l] == ["backnet=back"], out
    out = d.ok("volume", "ls", "--format", "{{.Name}} {{.Driver | upper}}")
    assert out == "data LOCAL\n", out
    version = re.search(r"^Server Version: (.*)$", d.ok("info"), re.M).group(1)
    assert d.ok("info", "--format", "{{.ServerVersion}}") == version + "\n"
    info = json.loads(d.ok("info", "--format", "{{json .}}"))
    assert (info["Containers"], info["ContainersRunning"], info["ContainersStopped"],
            info["Images"]) == (2, 1, 1, 2), info
    assert info["NCPU"] >= 1 and info["MemTotal"] > 0 and info["OSType"] == "linux", info
    assert info["DockerRootDir"] == d.root, info
    rc, out, err = d.cli("info", "--format", "{{.Nope}}")
    assert (rc, out) == (1, "") and "can't evaluate field Nope" in err, (rc, out, err)


def test_system_df_counts_a_shared_layer_once(d):
    rows = {r["Type"]: r for r in map(json.loads, d.ok("system", "df", "--format", "json")
                                         .splitlines())}
    assert list(rows) == ["Images", "Containers", "Local Volumes", "Build Cache"], rows
    assert sorted(rows["Images"]) == ["Active", "Reclaimable", "Size", "TotalCount", "Type"]
    assert (rows["Images"]["TotalCount"], rows["Images"]["Active"]) == ("2", "2"), rows
    assert rows["Build Cache"]["Active"] == "0", rows
    v = json.loads(d.ok("system", "df", "-v", "--format", "json"))
    assert sorted(v) == ["BuildCache", "Containers", "Images", "Volumes"], v
    imgs = {i["Repository"]: i for i in v["Images"]}
    base, child = imgs["busybox"], imgs["child"]
    # busybox's one layer is shared: all of busybox, part of child
    assert base["SharedSize"] == base["Size"] and base["UniqueSize"] == "0B", base
    assert child["SharedSize"] == base["Size"] and child["UniqueSize"] != "0B", child
    assert {c["Names"] for c in v["Containers"]} == {"web", "done"}, v["Containers"]
    assert [(x["Name"], x["Links"]) for x in v["Volumes"]] == [("data", "1")], v["Volumes"]
    # the total counts the shared layer once: less than the images' sizes added
    table = d.ok("system", "df", "-v")
    assert "SHARED SIZE" in table and "UNIQUE SIZE" in table and "Build cache usage:" in table
    assert re.search(r"^busybox\s+latest\s+\w{12}\s.*\s(\S+)\s+\1\s+0B\s+1$", table, re.M), table
    summary = d.ok("system", "df").splitlines()
    assert summary[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], summary
    assert summary[4].startswith("Build Cache"), summary
