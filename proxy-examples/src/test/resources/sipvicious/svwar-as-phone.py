# svwar (SIPVicious 0.3) with a phone's User-Agent instead of "friendly-scanner": what a scanner that hides itself
# sees. SIPVicious has no option for it, so this sets the default of the function that builds its requests.
import sys
sys.path.insert(0, '/usr/share/sipvicious')
from sipvicious.libs import svhelper
f = svhelper.makeRequest
names = f.__code__.co_varnames[:f.__code__.co_argcount]
defaults = list(f.__defaults__)
defaults[names.index('useragent') - (len(names) - len(defaults))] = 'Yealink SIP-T46S 66.86.0.15'
f.__defaults__ = tuple(defaults)
from sipvicious import svwar
sys.argv = ['svwar'] + sys.argv[1:]
sys.exit(svwar.main())
