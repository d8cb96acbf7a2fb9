# Install rules and the Debian package (CPack DEB): the binary, a `wq` link to it
# (argv[0] == "wq" runs `quantscope wq`), the demo model, the example configs, the desktop
# entry, AppStream metainfo, the safetensors MIME type, hicolor icons, bash completion and,
# with -DQS_PACKAGE=ON, man pages made by help2man from the real --help output and PNG
# icons rendered from the SVG by rsvg-convert (configure fails if either tool is missing).
# `cpack` in the build folder (or `packaging/setup.sh package`) writes quantscope_*.deb.
include(GNUInstallDirs)
option(QS_PACKAGE "Build man pages and PNG icons for the Debian package (needs help2man, rsvg-convert)" OFF)
set(QS_RELEASE_DATE "2026-12-03" CACHE STRING "Release date of PROJECT_VERSION (AppStream metainfo)")
set(QS_APP_ID io.github.quantscope.QuantScope)

install(TARGETS quantscope RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(CODE "execute_process(COMMAND ${CMAKE_COMMAND} -E create_symlink quantscope \
\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/wq)")
install(DIRECTORY ${CMAKE_SOURCE_DIR}/compression_configs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/quantscope/compression_configs)
# The demo model (generated at build time) next to the data files, where the explorer's
# "Open the demo model" finds it in an installed tree.
install(DIRECTORY ${QS_DEMO_DIR}/ DESTINATION ${CMAKE_INSTALL_DATADIR}/quantscope/demo-model
        PATTERN ".quantscope-demo-version" EXCLUDE)

install(FILES ${CMAKE_SOURCE_DIR}/resources/${QS_APP_ID}.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
configure_file(${CMAKE_SOURCE_DIR}/resources/${QS_APP_ID}.metainfo.xml.in ${CMAKE_BINARY_DIR}/${QS_APP_ID}.metainfo.xml
               @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/${QS_APP_ID}.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(FILES ${CMAKE_SOURCE_DIR}/resources/quantscope-mime.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/mime/packages
        RENAME quantscope.xml)
install(FILES ${CMAKE_SOURCE_DIR}/resources/icons/quantscope.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/quantscope.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME quantscope)
install(CODE "execute_process(COMMAND ${CMAKE_COMMAND} -E create_symlink quantscope \
\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/bash-completion/completions/wq)")
# Debian looks for the copyright and changelog under the package name, not the project name.
set(QS_DOCDIR ${CMAKE_INSTALL_DATADIR}/doc/quantscope)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/copyright DESTINATION ${QS_DOCDIR})

if(QS_PACKAGE)
  find_program(QS_HELP2MAN help2man REQUIRED)
  find_program(QS_RSVG rsvg-convert REQUIRED)
  find_program(QS_GZIP gzip REQUIRED)
  set(pkg ${CMAKE_BINARY_DIR}/package-data)
  # help2man runs `quantscope --help` / `wq --help` found on PATH, so the pages name the
  # programs as installed, not the build folder.
  set(run_env ${CMAKE_COMMAND} -E env "PATH=${pkg}/bin:/usr/bin:/bin" QT_QPA_PLATFORM=offscreen)
  add_custom_command(
    OUTPUT ${pkg}/quantscope.1.gz ${pkg}/wq.1.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${pkg}/bin
    COMMAND ${CMAKE_COMMAND} -E create_symlink $<TARGET_FILE:quantscope> ${pkg}/bin/quantscope
    COMMAND ${CMAKE_COMMAND} -E create_symlink $<TARGET_FILE:quantscope> ${pkg}/bin/wq
    COMMAND ${run_env} ${QS_HELP2MAN} --no-info --section=1 --source=QuantScope
            "--name=explore what low-precision number formats do to model weights" -o ${pkg}/quantscope.1 quantscope
    COMMAND ${run_env} ${QS_HELP2MAN} --no-info --section=1 --source=QuantScope
            "--name=per-tensor error of low-precision weight formats (quantscope wq)" -o ${pkg}/wq.1 wq
    COMMAND ${QS_GZIP} -n -9 -f ${pkg}/quantscope.1 ${pkg}/wq.1
    DEPENDS quantscope
    COMMENT "Generating man pages with help2man"
    VERBATIM)
  set(pngs)
  foreach(size 48 128 256)
    add_custom_command(OUTPUT ${pkg}/icons/${size}/quantscope.png
                       COMMAND ${CMAKE_COMMAND} -E make_directory ${pkg}/icons/${size}
                       COMMAND ${QS_RSVG} -w ${size} -h ${size} -o ${pkg}/icons/${size}/quantscope.png
                               ${CMAKE_SOURCE_DIR}/resources/icons/quantscope.svg
                       DEPENDS ${CMAKE_SOURCE_DIR}/resources/icons/quantscope.svg
                       COMMENT "Rendering the ${size}x${size} icon")
    list(APPEND pngs ${pkg}/icons/${size}/quantscope.png)
    install(FILES ${pkg}/icons/${size}/quantscope.png
            DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps)
  endforeach()
  # A native package (no Debian revision): its changelog is changelog.gz.
  configure_file(${CMAKE_SOURCE_DIR}/packaging/changelog.Debian.in ${pkg}/changelog @ONLY)
  add_custom_command(OUTPUT ${pkg}/changelog.gz
                     COMMAND ${QS_GZIP} -n -9 -k -f ${pkg}/changelog
                     DEPENDS ${pkg}/changelog)
  add_custom_target(package_data ALL DEPENDS ${pkg}/quantscope.1.gz ${pkg}/wq.1.gz ${pkg}/changelog.gz ${pngs})
  install(FILES ${pkg}/quantscope.1.gz ${pkg}/wq.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  install(FILES ${pkg}/changelog.gz DESTINATION ${QS_DOCDIR})
endif()

# The Debian package. Depends are computed from the binary by dpkg-shlibdeps.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME quantscope)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "The QuantScope developers")
set(CPACK_PACKAGE_CONTACT "QuantScope developers <quantscope@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "explore what low-precision number formats do to model weights")
# CPack puts the summary on the first line of Description; this is the extended part.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "QuantScope emulates low-precision weight formats bit for bit (block
floating point bfp8/bfp4/bfp2, MXFP4, NVFP4, FP8 and more) and shows what
they do to the weights of a safetensors model, local or on the Hugging Face
Hub: an explorer window and the headless commands wq, list, export, plot,
reconstruct and sweep.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/quantscope/quantscope")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_FILE_NAME "quantscope_${PROJECT_VERSION}")
include(CPack)
