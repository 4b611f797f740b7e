/* Compose's networks: key, top level and per service: what the parser
 * keeps, the networks' names, the run arguments a service gets, and the
 * errors that name the key and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_expect.h"

static const char file[] =
	"services:\n"
	"  web:\n"
	"    image: b\n"
	"    networks:\n"
	"      front:\n"
	"        aliases: [www, w2]\n"
	"      back:\n"
	"        ipv4_address: 10.71.0.50\n"
	"  db:\n"
	"    image: b\n"
	"    networks: [back, default]\n"
	"  lone:\n"
	"    image: b\n"
	"networks:\n"
	"  front: {}\n"
	"  back:\n"
	"    driver: bridge\n"
	"    internal: true\n"
	"    labels: {tier: data}\n"
	"    ipam:\n"
	"      driver: default\n"
	"      config:\n"
	"        - subnet: 10.71.0.0/24\n"
	"          gateway: 10.71.0.254\n"
	"  ext:\n"
	"    external: true\n"
	"    name: shared\n";

/* Service svc's run arguments from --network on, up to the next flag
 * that is not a network's. */
static void expect_net_args(const struct compose_file *f, int svc, const char *want)
{
	struct strv a = { 0 };
	char got[1024] = "";
	int i = 0;

	assert_int_equal(compose_run_args(f, "p", svc, NULL, &a), 0);
	while (i < a.n && strcmp(a.v[i], "--network") != 0)
		i++;
	for (; i + 1 < a.n && (strncmp(a.v[i], "--network", 9) == 0 || !strcmp(a.v[i], "--ip"));
	     i += 2)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s %s", *got ? " " : "",
			 a.v[i], a.v[i + 1]);
	assert_string_equal(got, want);
	strv_free(&a);
}

static void test_networks_key(void **state)
{
	struct compose_file f;
	char name[300];

	(void)state;
	if (parse(file, &f) != 0)
		fail_msg("%s", f.errors.n ? f.errors.v[0] : "?");
	assert_int_equal(f.nnet, 3);
	assert_string_equal(f.net[1].key, "back");
	assert_true(f.net[1].internal && !f.net[1].external);
	assert_string_equal(f.net[1].subnet, "10.71.0.0/24");
	assert_string_equal(f.net[1].gateway, "10.71.0.254");
	assert_string_equal(f.net[1].labels.v[0], "tier=data");
	assert_int_equal(f.svc[0].nnets, 2);
	assert_string_equal(f.svc[0].nets[0].aliases.v[1], "w2");
	assert_string_equal(f.svc[0].nets[1].ipv4_address, "10.71.0.50");
	compose_network_name(&f, "p", "back", name, sizeof(name));
	assert_string_equal(name, "p_back");
	compose_network_name(&f, "p", "ext", name, sizeof(name));
	assert_string_equal(name, "shared");
	compose_network_name(&f, "p", "default", name, sizeof(name));
	assert_string_equal(name, "p_default");
	expect_net_args(&f, 0, "--network p_front --network-alias web --network-alias www "
			       "--network-alias w2 --network name=p_back,alias=web,ip=10.71.0.50");
	expect_net_args(&f, 1, "--network p_back --network-alias db "
			       "--network name=p_default,alias=db");
	expect_net_args(&f, 2, "--network p_default --network-alias lone");
	assert_int_equal(f.norder, 3);
	compose_free(&f);
}

#define S "services:\n  s:\n    image: b\n"

static void test_network_errors(void **state)
{
	(void)state;
	expect_error_in(S "    networks: [nope]\n",
			"compose.yaml:4: services.s.networks: network 'nope' is not declared "
			"under the top-level networks", true);
	expect_error_in(S "    networks: {n: {priority: 3}}\nnetworks: {n: {}}\n",
			"compose.yaml:4: services.s.networks.n: unknown key 'priority'", true);
	expect_error_in(S "    network_mode: host\n    networks: [n]\nnetworks: {n: {}}\n",
			"compose.yaml:5: services.s: 'network_mode' and 'networks' cannot be "
			"combined", true);
	expect_error(S "networks:\n  n:\n    driver: overlay\n",
		     "compose.yaml:6: networks.n: driver 'overlay': only the bridge driver is "
		     "supported");
	expect_error(S "networks:\n  n:\n    attachable: true\n",
		     "compose.yaml:6: networks.n: unknown key 'attachable'");
	expect_error(S "networks:\n  n:\n    ipam: {config: [{ip_range: 10.0.0.0/25}]}\n",
		     "compose.yaml:6: networks.n.ipam.config: unknown key 'ip_range'");
	expect_error(S "networks: [a]\n", "compose.yaml:4: networks: must be a mapping, not a list");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_networks_key),
		cmocka_unit_test(test_network_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
