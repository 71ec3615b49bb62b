// vigil-provider: the reference provider. Subcommands:
//   serve         the provider side of the protocol over mutual TLS, storing what arrives
//   pki init      a development CA and the provider's server certificate
//   pki device    a development device certificate for one appliance id
#include <CLI/CLI.hpp>

#include "control/vigil-provider/pki_command.h"
#include "control/vigil-provider/serve_command.h"

int main(int argc, char** argv) {
  CLI::App app{"Vigil reference provider (tests, demos, small fleets)", "vigil-provider"};
  app.require_subcommand(1);

  vigil::provider::ServeOptions serve;
  auto* sv = app.add_subcommand("serve", "Serve appliances over mutual TLS");
  sv->add_option("--data", serve.data_dir, "Data folder (appliances/, rules/bundle, firmware/)")
      ->required();
  sv->add_option("--pki", serve.pki_dir, "PKI folder from `pki init` (ca.crt, server.crt, server.key)")
      ->required();
  sv->add_option("--listen", serve.listen, "Address to listen on");
  sv->add_option("--port", serve.port, "TCP port (0: any free port, printed at start)");
  sv->add_option("--max-connections", serve.max_connections, "Connections served at once")
      ->check(CLI::Range(1u, 65536u));
  sv->add_option("--idle-timeout-ms", serve.idle_timeout_ms, "Close a connection idle this long")
      ->check(CLI::Range(100u, 3600000u));

  vigil::provider::PkiOptions pki;
  auto* pk = app.add_subcommand("pki", "Development PKI (not for production)");
  pk->require_subcommand(1);
  auto* init = pk->add_subcommand("init", "Create a CA and the provider's server certificate");
  auto* dev = pk->add_subcommand("device", "Create a device certificate for an appliance id");
  for (auto* c : {init, dev}) {
    c->add_option("--dir", pki.dir, "PKI folder")->required();
    c->add_option("--not-before-days", pki.not_before_days,
                  "Validity start relative to now in days (negative: past; tests)");
    c->add_option("--not-after-days", pki.not_after_days, "Validity end relative to now in days");
  }
  init->add_option("--server-name", pki.server_name, "Name in the server certificate");
  dev->add_option("--id", pki.appliance_id, "Appliance id (the certificate's CN)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (sv->parsed()) return vigil::provider::run_serve(serve);
  if (init->parsed()) return vigil::provider::run_pki_init(pki);
  if (dev->parsed()) return vigil::provider::run_pki_device(pki);
  return 1;
}
