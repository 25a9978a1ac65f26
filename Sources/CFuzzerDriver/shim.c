/* SwiftPM needs a source file in a C target; the declaration lives in the header. */
#include "CFuzzerDriver.h"
