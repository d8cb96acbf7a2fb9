# Install rules: the binary, a `wq` link to it (argv[0] == "wq" runs `quantscope wq`),
# the example configs, the desktop entry and the icon.
include(GNUInstallDirs)
install(TARGETS quantscope RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(CODE "execute_process(COMMAND ${CMAKE_COMMAND} -E create_symlink quantscope \
\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/wq)")
install(DIRECTORY ${CMAKE_SOURCE_DIR}/compression_configs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/quantscope/compression_configs)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/quantscope.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${CMAKE_SOURCE_DIR}/resources/icons/quantscope.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
# The demo model (generated at build time) next to the data files, where the explorer's
# "Open the demo model" finds it in an installed tree.
install(DIRECTORY ${QS_DEMO_DIR}/ DESTINATION ${CMAKE_INSTALL_DATADIR}/quantscope/demo-model
        PATTERN ".quantscope-demo-version" EXCLUDE)
