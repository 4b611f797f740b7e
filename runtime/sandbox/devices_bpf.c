#include "devices_bpf.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/lib/util.h"

struct dev_rule {
	unsigned major;
	int minor; /* -1: any */
};

static const struct dev_rule allowed[] = {
    {1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {136, -1},
};

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_W | BPF_MEM, d, s, o, 0)
#define AND_K(d, k) INSN(BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, k)
#define MOV_K(d, k) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define MOV_X(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define RSH_K(d, k) INSN(BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, k)
#define JNE_K(d, k, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, k)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* An extra rule: its type (unless 'a'), major and minor (unless
 * DEVBPF_ANY), and no access beyond its own (r5, the access bits)
 * returns 1; else on to the next block. */
static size_t build_extra(struct bpf_insn *p, const struct sb_devrule *x)
{
	unsigned type = x->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
	size_t n = 0;

	if (x->type != 'a')
		p[n++] = JNE_K(2, type, 0);
	if (x->major != DEVBPF_ANY)
		p[n++] = JNE_K(3, x->major, 0);
	if (x->minor != DEVBPF_ANY)
		p[n++] = JNE_K(4, x->minor, 0);
	for (size_t i = 0; i < n; i++) /* past the block's 5 last */
		p[i].off = n - i - 1 + 5;
	p[n++] = MOV_X(6, 5);
	p[n++] = AND_K(6, ~x->access & 7);
	p[n++] = JNE_K(6, 0, 2);
	p[n++] = MOV_K(0, 1);
	p[n++] = EXIT();
	return n;
}

/* r2 = device type, r3 = major, r4 = minor, r5 = access (struct
 * bpf_cgroup_dev_ctx); one block per rule returns 1 on a match; fall
 * through to return 0. */
static size_t build(struct bpf_insn *p, const struct sb_devrule *extra, int nextra)
{
	size_t n = 0, type_jump;

	p[n++] = LDX_W(2, 1, 0);
	p[n++] = AND_K(2, 0xffff);
	p[n++] = LDX_W(3, 1, 4);
	p[n++] = LDX_W(4, 1, 8);
	p[n++] = LDX_W(5, 1, 0);
	p[n++] = RSH_K(5, 16);
	for (int i = 0; i < nextra; i++)
		n += build_extra(p + n, &extra[i]);
	type_jump = n;
	p[n++] = JNE_K(2, BPF_DEVCG_DEV_CHAR, 0); /* patched below */
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
		bool any = allowed[i].minor < 0;

		p[n++] = JNE_K(3, allowed[i].major, any ? 2 : 3);
		if (!any)
			p[n++] = JNE_K(4, allowed[i].minor, 2);
		p[n++] = MOV_K(0, 1);
		p[n++] = EXIT();
	}
	p[type_jump].off = n - type_jump - 1;
	p[n++] = MOV_K(0, 0);
	p[n++] = EXIT();
	return n;
}

int devbpf_attach(int cgroup_fd, const struct sb_devrule *extra, int nextra, struct berr *e)
{
	struct bpf_insn prog[10 + 4 * ARRAY_SIZE(allowed) + 8 * DEVBPF_MAX_EXTRA];
	static char log[4096];
	union bpf_attr a;
	_cleanup_fd_ int fd = -1;

	if (nextra < 0 || nextra > DEVBPF_MAX_EXTRA)
		return berr_msg(e, E2BIG, "more than %d device rules", DEVBPF_MAX_EXTRA);
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uintptr_t)prog;
	a.insn_cnt = build(prog, extra, nextra);
	a.license = (uintptr_t) "GPL";
	/* without the verifier's log (it costs the load a trace of every
	 * instruction); loaded again with it only to say why it was refused */
	fd = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd < 0) {
		int err = errno;

		a.log_buf = (uintptr_t)log;
		a.log_size = sizeof(log);
		a.log_level = 1;
		log[0] = '\0';
		fd = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
		return berr_set(e, err, "load device program%s%.200s", log[0] ? ": " : "", log);
	}
	memset(&a, 0, sizeof(a));
	a.target_fd = cgroup_fd;
	a.attach_bpf_fd = fd;
	a.attach_type = BPF_CGROUP_DEVICE;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &a, sizeof(a)) < 0)
		return berr_set(e, errno, "attach device program");
	return 0;
}
