#!/usr/bin/env python3
"""Which mutants of TwoSum (src/optim/kernel/arith.rs, two_sum) change NativeF32::ftz_result's
decision? A hand check for docs/mutants.md, not part of cargo test; standard library only:

    python3 examples/python/twosum_mutants.py

The low part lo is read only when |hi| is the FTZ threshold T = 2^-126 (1 - 2^-25). A binary32
add of two normal operands is exact in binary64 (lo = 0), so that needs an fma whose product
p = a*b has bits below 2^-179 (p below about 2^-132) and an addend c next to -+2^-126 (a subnormal
c reads as 0 under DAZ). This samples that regime (p = x*y*2^e with 24-bit x, y; c = -+(2^-126 +
m 2^-149)) and counts, per mutant, the cases where the tie decision changes. Mutant names: L251
is `bb = hi - a`; c17, c23, c30, c35 the operators of `lo = (a - (hi - bb)) + (b - bb)` by column.
"""
from fractions import Fraction as F
import math, random
T = 2.0**-126 * (1 - 2.0**-25)
def div(x,y):
    try: return x/y
    except ZeroDivisionError: return math.copysign(math.inf, x) if x!=0 else math.nan
def lo_of(a,b,hi,bb,m):
    t1 = {'c23+':hi+bb,'c23/':div(hi,bb)}.get(m, hi-bb)
    f = {'c17+':a+t1,'c17/':div(a,t1)}.get(m, a-t1)
    g = {'c35+':b+bb,'c35/':div(b,bb)}.get(m, b-bb)
    return {'c30-':f-g,'c30*':f*g}.get(m, f+g)
muts=['L251+','L251/','c23+','c23/','c17+','c17/','c35+','c35/','c30-','c30*']
def ts(a,b,m):
    hi=a+b
    bb={'L251+':hi+a,'L251/':div(hi,a)}.get(m, hi-a)
    return hi, lo_of(a,b,hi,bb,m)
def tiny(hi,lo):
    return abs(hi) < T or (abs(hi)==T and lo*math.copysign(1,hi) < 0)
random.seed(1)
cases=0; diff={m:0 for m in muts}
while cases < 20000:
    x=random.randrange(2**23,2**24)
    m=random.choice([random.randrange(0,4), random.randrange(0,2**16)])
    target = F(2)**-126 + m*F(2)**-149 - F(T)
    e = math.floor(math.log2(float(target))) - 47
    y = round(float(target / (x * F(2)**e)))
    if not (2**23 <= y < 2**24): continue
    for sgn in (1,-1):
        p = sgn*math.ldexp(x*y, e); c = -sgn*(2.0**-126 + m*2.0**-149)
        hi,lo = ts(p,c,None)
        if abs(hi)!=T or lo==0: continue
        cases+=1
        assert (lo>0) == (F(p)+F(c)-F(hi) > 0)
        for mu in muts:
            h2,l2=ts(p,c,mu)
            if tiny(h2,l2)!=tiny(hi,lo): diff[mu]+=1
print(cases, diff)
