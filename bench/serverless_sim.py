# Local-SGD simulation of straightline's serverless training (issue 17): K workers each train a
# copy of the global cnn on 1/R of their shard per round with Adam, the copies' changes are
# averaged (optionally with server momentum), and Adam's state is either reset every round, as the
# train-shard functions do, or averaged over the workers and carried into the next round
# (carry=1). Used to decide whether carrying Adam's state was worth building (it was not:
# docs/benchmarks.md, "Accuracy with default flags"). Same cnn and Fashion-MNIST files as the
# trainer, not the same split or initialisation, so compare runs of this script with each other.
#
#   /usr/bin/python3 bench/serverless_sim.py K=8 R=4 lr=3e-3 carry=0 [E=3] [mom=0] [sched=const|cos|wsd]
# Local-SGD simulation: K workers, R rounds/epoch, Adam state reset vs averaged-carry.
import gzip, numpy as np, torch, torch.nn as nn, torch.nn.functional as F, sys, math, time, copy
torch.set_num_threads(1)
def idx(p):
    d=gzip.open(p).read(); 
    if d[2]==8 and d[3]==3: n=int.from_bytes(d[4:8],'big'); return np.frombuffer(d,np.uint8,offset=16).reshape(n,1,28,28)
    return np.frombuffer(d,np.uint8,offset=8)
D='/usr/share/datasets/fashion-mnist/'
X=torch.tensor(idx(D+'train-images-idx3-ubyte.gz'),dtype=torch.float32)/255; Y=torch.tensor(idx(D+'train-labels-idx1-ubyte.gz'),dtype=torch.long)
Xt=torch.tensor(idx(D+'t10k-images-idx3-ubyte.gz'),dtype=torch.float32)/255; Yt=torch.tensor(idx(D+'t10k-labels-idx1-ubyte.gz'),dtype=torch.long)
g=torch.Generator().manual_seed(1); perm=torch.randperm(60000,generator=g)
tr=perm[:54000]
class Net(nn.Module):
    def __init__(s):
        super().__init__(); s.c1=nn.Conv2d(1,16,3,padding=1); s.c2=nn.Conv2d(16,32,3,padding=1); s.f1=nn.Linear(32*49,128); s.f2=nn.Linear(128,10)
    def forward(s,x):
        x=F.max_pool2d(F.relu(s.c1(x)),2); x=F.max_pool2d(F.relu(s.c2(x)),2); return s.f2(F.relu(s.f1(x.flatten(1))))
def acc(m):
    with torch.no_grad(): return (m(Xt).argmax(1)==Yt).float().mean().item()
args=dict(a.split('=') for a in sys.argv[1:])
K=int(args.get('K',8)); R=int(args.get('R',4)); lr=float(args.get('lr',3e-3)); E=int(args.get('E',3)); carry=int(args.get('carry',0)); mom=float(args.get('mom',0)); B=64
sched=args.get('sched','const')
torch.manual_seed(1); glob=Net(); vel=None; state=None
shards=[tr[len(tr)*k//K:len(tr)*(k+1)//K] for k in range(K)]
T=E*R; t0=time.time(); step_total=0
for r in range(T):
    e=r//R; c=r%R
    f=1.0
    if sched=='cos': f=0.5*(1+math.cos(math.pi*(r+0.5)/T))
    if sched=='wsd': f=1.0 if r < 0.8*T else (T-r-0.5)/(0.2*T)
    deltas=[]; states=[]
    for k in range(K):
        s=shards[k]; gk=torch.Generator().manual_seed(1000*e+k); sp=s[torch.randperm(len(s),generator=gk)]
        ch=sp[len(sp)*c//R:len(sp)*(c+1)//R]
        m=copy.deepcopy(glob); opt=torch.optim.Adam(m.parameters(),lr=lr*f)
        if carry and state is not None:
            sd=opt.state_dict(); sd['state']={i:{'step':torch.tensor(float(step_total)),'exp_avg':state[i][0].clone(),'exp_avg_sq':state[i][1].clone()} for i in range(len(state))}; opt.load_state_dict(sd)
        for i in range(0,len(ch),B):
            bi=ch[i:i+B]; opt.zero_grad(); F.cross_entropy(m(X[bi]),Y[bi]).backward(); opt.step()
        deltas.append([p.detach()-q.detach() for p,q in zip(m.parameters(),glob.parameters())])
        st=opt.state_dict()['state']; states.append([(st[i]['exp_avg'],st[i]['exp_avg_sq']) for i in range(len(st))])
    step_total+= (len(shards[0])//R)//B
    avg=[sum(d[i] for d in deltas)/K for i in range(len(deltas[0]))]
    if carry: state=[(sum(s[i][0] for s in states)/K, sum(s[i][1] for s in states)/K) for i in range(len(states[0]))]
    if vel is None: vel=[torch.zeros_like(a) for a in avg]
    with torch.no_grad():
        for p,a,v in zip(glob.parameters(),avg,vel): v.mul_(mom).add_(a); p.add_(v)
    if (r+1)%R==0: print(f"epoch {e+1} test {acc(glob):.4f} t {time.time()-t0:.0f}s",flush=True)
print("final",sys.argv[1:],acc(glob))
