# App-layer records cross-checked against tshark (compare_app_fields.py): per conversation, the
# HTTP request URIs and hosts, the DNS query names and the TLS SNIs of Vigil's EVE http / dns /
# tls events against tshark's fields, with every expected difference modelled by a named rule.
#   replay.app.<capture>     each generated capture that carries HTTP, DNS or TLS
#   replay.app.shared.<n>    the captures under ../shared/datasets/pcaps, in batches; each batch is
#                            one `vigild replay` with several --pcap (files ordered by time)
# Included from tests/replay/CMakeLists.txt, after replay_test() and ${here}, ${work}, ${cache}
# are defined. tshark's output is cached in ${cache} (file names *.app.*, beside
# compare_conversations.py's), so reruns only replay.
set(app_compare Python3::Interpreter ${here}/compare_app_fields.py --vigild $<TARGET_FILE:vigild>
    --cache-dir ${cache})

# Every valid generated capture holds DNS, HTTP and TLS (docs/captures.md): demo and mixed as
# traffic, the link types and tunnels as one lookup, one GET and one TLS session per address
# family, snapped with payloads cut at 96 bytes.
foreach(capture ${VIGIL_VALID_CAPTURES})
  replay_test(replay.app.${capture} ${app_compare}
              --pcap ${VIGIL_CAPTURES_DIR}/${capture}.pcap --workdir ${work}/app.${capture})
endforeach()
if(TEST replay.app.mixed)
  # tshark over mixed.pcap takes ~20 s per pass; the replay of 200,000 packets a few more.
  set_tests_properties(replay.app.mixed PROPERTIES TIMEOUT 600)
endif()

get_filename_component(app_shared_pcaps ${CMAKE_SOURCE_DIR}/../shared/datasets/pcaps ABSOLUTE)
set(app_shared_files)
if(IS_DIRECTORY ${app_shared_pcaps})
  file(GLOB_RECURSE app_shared_files LIST_DIRECTORIES false
       ${app_shared_pcaps}/*.pcap ${app_shared_pcaps}/*.pcapng ${app_shared_pcaps}/*.cap)
  list(SORT app_shared_files)
endif()
if(app_shared_files)
  # About 10 files per batch: 8 batches for the 76 captures, each a few seconds once tshark's
  # output is cached (up to ~30 s the first time on 2 cores).
  set(app_batch_size 10)
  set(app_batch 0)
  set(app_batch_args)
  set(app_in_batch 0)
  list(LENGTH app_shared_files app_remaining)
  foreach(file ${app_shared_files})
    list(APPEND app_batch_args --pcap ${file})
    math(EXPR app_in_batch "${app_in_batch} + 1")
    math(EXPR app_remaining "${app_remaining} - 1")
    if(app_in_batch EQUAL app_batch_size OR app_remaining EQUAL 0)
      math(EXPR app_batch "${app_batch} + 1")
      replay_test(replay.app.shared.${app_batch} ${app_compare} ${app_batch_args}
                  --workdir ${work}/app.shared.${app_batch})
      set(app_batch_args)
      set(app_in_batch 0)
    endif()
  endforeach()
else()
  replay_test(replay.app.shared ${CMAKE_COMMAND} -E echo
              "SKIPPED: no captures under ${app_shared_pcaps} (../shared beside the source tree)")
  set_tests_properties(replay.app.shared PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED")
endif()
