// vigil-board: the board file from the command line.
//   vigil-board check FILE         validate; print a summary (exit 1 and one error line if bad)
//   vigil-board pci-devices FILE   the PCI addresses of the board's ports, one per line
//   vigil-board hugepages FILE     "<numa node> <page size kB> <pages>" (nothing: no hugepages)
//   vigil-board eal-args FILE      the EAL arguments, one per line
#include <CLI/CLI.hpp>
#include <iostream>

#include "control/board/board_config.h"

namespace {

bool load(const std::string& file, vigil::board::BoardConfig& board) {
  std::string err;
  if (vigil::board::load_board(file, board, err)) return true;
  std::cerr << "vigil-board: " << err << "\n";
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Checks a Vigil board file and prints what the setup scripts need from it"};
  app.require_subcommand(1);
  std::string file, prefix = "vigil";
  auto* check = app.add_subcommand("check", "validate the board file and print a summary");
  auto* pci = app.add_subcommand("pci-devices", "PCI addresses of the ports, one per line");
  auto* huge = app.add_subcommand("hugepages", "hugepages needed: <node> <page kB> <pages>");
  auto* eal = app.add_subcommand("eal-args", "EAL arguments, one per line");
  for (auto* sub : {check, pci, huge, eal}) {
    sub->add_option("FILE", file, "board file (board.toml)")->required();
  }
  eal->add_option("--file-prefix", prefix, "EAL runtime file prefix (unless --in-memory)");
  CLI11_PARSE(app, argc, argv);

  vigil::board::BoardConfig board;
  if (!load(file, board)) return 1;
  if (check->parsed()) {
    std::cout << file << ": OK\n" << vigil::board::describe(board);
  } else if (pci->parsed()) {
    for (const auto& p : board.ports) {
      if (!p.pci.empty()) std::cout << p.pci << "\n";
    }
  } else if (huge->parsed()) {
    const auto need = vigil::board::hugepage_need(board);
    if (need.page_kb != 0) {
      std::cout << need.numa_node << " " << need.page_kb << " " << need.pages << "\n";
    }
  } else if (eal->parsed()) {
    for (const auto& a : vigil::board::eal_args(board, prefix)) std::cout << a << "\n";
  }
  return 0;
}
