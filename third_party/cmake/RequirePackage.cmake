# Stops configuration with a message that names the Debian package to install
# when a required dependency is missing.
function(require_found found_var what debian_package)
  if(NOT ${found_var})
    message(FATAL_ERROR
      "${what} was not found. Install it with: apt-get install ${debian_package}")
  endif()
endfunction()
