"""PyTorch reference for `npm run bench`: times the same training steps as bench/step_worker.ts.

The networks, losses and update order follow pytorch-CycleGAN-and-pix2pix (models/networks.py, pix2pix_model.py,
cycle_gan_model.py): U-Net / ResNet generators, PatchGAN discriminator, batch norm + vanilla GAN + L1 for pix2pix,
instance norm + LSGAN + cycle + identity for CycleGAN, Adam(0.0002, 0.5, 0.999), batch 1, random images.
The perceptual term is VGG16 features up to relu3_3 (random weights: the time does not depend on them).

Usage: python3 bench/pytorch_step.py '<json list of configs>' [--threads 2] [--warmup 2] [--steps 5] [--profile N]
Prints one JSON object per config: {"config", "pytorch_s", "times_s", "threads", "torch"}.
--profile N adds "profile": N more steps under torch.profiler, per step the time of all kernels ("busy_ms": CUDA
kernels on cuda, operators' own CPU time on cpu) and the most expensive ones ("top": [name, count, ms]), to set
beside pipe's GPU times per program (bench/gpu/step.ts --gpu-times).
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn


def norm_layer(kind):
    if kind == "batch":
        return lambda c: nn.BatchNorm2d(c, affine=True, track_running_stats=True)
    return lambda c: nn.InstanceNorm2d(c, affine=False, track_running_stats=False)


class UnetBlock(nn.Module):
    def __init__(self, outer_nc, inner_nc, input_nc=None, submodule=None, outermost=False, innermost=False,
                 norm=None, use_dropout=False, use_bias=False):
        super().__init__()
        self.outermost = outermost
        input_nc = outer_nc if input_nc is None else input_nc
        downconv = nn.Conv2d(input_nc, inner_nc, 4, 2, 1, bias=use_bias)
        downrelu = nn.LeakyReLU(0.2, True)
        uprelu = nn.ReLU(True)
        if outermost:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, 4, 2, 1)
            model = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif innermost:
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, 4, 2, 1, bias=use_bias)
            model = [downrelu, downconv, uprelu, upconv, norm(outer_nc)]
        else:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, 4, 2, 1, bias=use_bias)
            model = [downrelu, downconv, norm(inner_nc), submodule, uprelu, upconv, norm(outer_nc)]
            if use_dropout:
                model += [nn.Dropout(0.5)]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


def unet(num_downs, ngf, norm, use_dropout, use_bias):
    block = UnetBlock(ngf * 8, ngf * 8, innermost=True, norm=norm, use_bias=use_bias)
    for _ in range(num_downs - 5):
        block = UnetBlock(ngf * 8, ngf * 8, submodule=block, norm=norm, use_dropout=use_dropout, use_bias=use_bias)
    block = UnetBlock(ngf * 4, ngf * 8, submodule=block, norm=norm, use_bias=use_bias)
    block = UnetBlock(ngf * 2, ngf * 4, submodule=block, norm=norm, use_bias=use_bias)
    block = UnetBlock(ngf, ngf * 2, submodule=block, norm=norm, use_bias=use_bias)
    return UnetBlock(3, ngf, input_nc=3, submodule=block, outermost=True, norm=norm, use_bias=use_bias)


class ResnetBlock(nn.Module):
    def __init__(self, dim, norm, use_bias):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=use_bias), norm(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=use_bias), norm(dim))

    def forward(self, x):
        return x + self.block(x)


def resnet(ngf, norm, n_blocks, use_bias):
    m = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7, bias=use_bias), norm(ngf), nn.ReLU(True)]
    for i in range(2):
        mult = 2 ** i
        m += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, 2, 1, bias=use_bias), norm(ngf * mult * 2), nn.ReLU(True)]
    m += [ResnetBlock(ngf * 4, norm, use_bias) for _ in range(n_blocks)]
    for i in range(2):
        mult = 2 ** (2 - i)
        m += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, 2, 1, output_padding=1, bias=use_bias),
              norm(ngf * mult // 2), nn.ReLU(True)]
    m += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]
    return nn.Sequential(*m)


def patch_discriminator(input_nc, ndf, n_layers, norm, use_bias):
    seq = [nn.Conv2d(input_nc, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    mult = 1
    for n in range(1, n_layers):
        prev, mult = mult, min(2 ** n, 8)
        seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, 2, 1, bias=use_bias), norm(ndf * mult), nn.LeakyReLU(0.2, True)]
    prev, mult = mult, min(2 ** n_layers, 8)
    seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, 1, 1, bias=use_bias), norm(ndf * mult), nn.LeakyReLU(0.2, True)]
    seq += [nn.Conv2d(ndf * mult, 1, 4, 1, 1)]
    return nn.Sequential(*seq)


def init_weights(net):
    for m in net.modules():
        name = m.__class__.__name__
        if hasattr(m, "weight") and m.weight is not None and ("Conv" in name):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0.0)
        elif "BatchNorm2d" in name:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.constant_(m.bias, 0.0)
    return net


class Vgg16Relu33(nn.Module):
    """torchvision vgg16().features[:16] (through relu3_3), frozen, with the ImageNet input convention."""

    def __init__(self):
        super().__init__()
        cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256]
        layers, c = [], 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(True)]
                c = v
        self.features = nn.Sequential(*layers)
        for p in self.parameters():
            p.requires_grad_(False)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x):
        return self.features(((x + 1) / 2 - self.mean) / self.std)


def set_requires_grad(nets, flag):
    for n in nets:
        for p in n.parameters():
            p.requires_grad_(flag)


class ImagePool:
    """util/image_pool.py with pool size 50."""

    def __init__(self, size=50):
        self.size, self.images = size, []

    def query(self, image):
        if len(self.images) < self.size:
            self.images.append(image.detach().clone())
            return image
        if torch.rand(1).item() > 0.5:
            i = int(torch.randint(0, self.size, (1,)).item())
            old = self.images[i].clone()
            self.images[i] = image.detach().clone()
            return old
        return image


def pix2pix_step_fn(c):
    norm = norm_layer("batch")
    num_downs = {32: 5, 64: 6, 128: 7, 256: 8}[c["size"]]
    G = init_weights(unet(num_downs, c["ngf"], norm, True, False))
    D = init_weights(patch_discriminator(6, c["ngf"], 3, norm, False))
    G.train()
    D.train()
    vgg = Vgg16Relu33() if c["perceptual"] else None
    opt_G = torch.optim.Adam(G.parameters(), lr=0.0002, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=0.0002, betas=(0.5, 0.999))
    bce, l1, mse = nn.BCEWithLogitsLoss(), nn.L1Loss(), nn.MSELoss()
    size = c["size"]

    def step():
        real_A = torch.rand(1, 3, size, size) * 2 - 1
        real_B = torch.rand(1, 3, size, size) * 2 - 1
        fake_B = G(real_A)
        set_requires_grad([D], True)
        opt_D.zero_grad()
        pred_fake = D(torch.cat([real_A, fake_B], 1).detach())
        pred_real = D(torch.cat([real_A, real_B], 1))
        loss_D = (bce(pred_fake, torch.zeros_like(pred_fake)) + bce(pred_real, torch.ones_like(pred_real))) * 0.5
        loss_D.backward()
        opt_D.step()
        set_requires_grad([D], False)
        opt_G.zero_grad()
        pred_fake = D(torch.cat([real_A, fake_B], 1))
        loss_G = bce(pred_fake, torch.ones_like(pred_fake)) + l1(fake_B, real_B) * 100
        if vgg is not None:
            with torch.no_grad():
                phi_real = vgg(real_B)
            loss_G = loss_G + mse(vgg(fake_B), phi_real) * c.get("perceptual_weight", 15)
        loss_G.backward()
        opt_G.step()

    return step


def cyclegan_step_fn(c):
    norm = norm_layer("instance")
    blocks, ndf = c.get("blocks", 6), c.get("ndf", 64)
    G_A = init_weights(resnet(c["ngf"], norm, blocks, True))
    G_B = init_weights(resnet(c["ngf"], norm, blocks, True))
    D_A = init_weights(patch_discriminator(3, ndf, 3, norm, True))
    D_B = init_weights(patch_discriminator(3, ndf, 3, norm, True))
    opt_G = torch.optim.Adam(list(G_A.parameters()) + list(G_B.parameters()), lr=0.0002, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(list(D_A.parameters()) + list(D_B.parameters()), lr=0.0002, betas=(0.5, 0.999))
    mse, l1 = nn.MSELoss(), nn.L1Loss()
    pool_A, pool_B = ImagePool(), ImagePool()
    size = c["size"]

    def gan(pred, target):
        return mse(pred, torch.full_like(pred, 1.0 if target else 0.0))

    def step():
        real_A = torch.rand(1, 3, size, size) * 2 - 1
        real_B = torch.rand(1, 3, size, size) * 2 - 1
        fake_B = G_A(real_A)
        rec_A = G_B(fake_B)
        fake_A = G_B(real_B)
        rec_B = G_A(fake_A)
        set_requires_grad([D_A, D_B], False)
        opt_G.zero_grad()
        loss_idt_A = l1(G_A(real_B), real_B) * 10 * 0.5
        loss_idt_B = l1(G_B(real_A), real_A) * 10 * 0.5
        loss_G = (gan(D_A(fake_B), True) + gan(D_B(fake_A), True) + l1(rec_A, real_A) * 10 + l1(rec_B, real_B) * 10
                  + loss_idt_A + loss_idt_B)
        loss_G.backward()
        opt_G.step()
        set_requires_grad([D_A, D_B], True)
        opt_D.zero_grad()
        fb = pool_B.query(fake_B)
        loss_D_A = (gan(D_A(real_B), True) + gan(D_A(fb.detach()), False)) * 0.5
        loss_D_A.backward()
        fa = pool_A.query(fake_A)
        loss_D_B = (gan(D_B(real_A), True) + gan(D_B(fa.detach()), False)) * 0.5
        loss_D_B.backward()
        opt_D.step()

    return step


def profile_steps(step, n, device):
    """Per step: the summed self time of every kernel (cuda) or operator (cpu), and the 12 largest."""
    from torch.profiler import ProfilerActivity, profile
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device != "cpu" else [])
    with profile(activities=activities) as prof:
        for _ in range(n):
            step()
        if device != "cpu":
            torch.cuda.synchronize()

    def own_us(e):
        if device == "cpu":
            return e.self_cpu_time_total
        # torch >= 2.4 names it self_device_time_total; 1.x and 2.0-2.3 self_cuda_time_total
        return e.self_device_time_total if hasattr(e, "self_device_time_total") else e.self_cuda_time_total

    events = [(e.key, e.count / n, own_us(e) / 1000 / n) for e in prof.key_averages()]
    events = sorted((e for e in events if e[2] > 0), key=lambda e: -e[2])
    return {"steps": n, "busy_ms": round(sum(e[2] for e in events), 3),
            "top": [[k, round(c, 2), round(ms, 3)] for k, c, ms in events[:12]]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("configs")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--device", default="cpu", help="cpu, or cuda to time the same step on a GPU (torch >= 2.0)")
    ap.add_argument("--profile", type=int, default=0, help="N more steps under torch.profiler (see above)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.device != "cpu":
        torch.set_default_device(args.device)
    torch.manual_seed(1)
    for c in json.loads(args.configs):
        step = cyclegan_step_fn(c) if c["kind"] == "cyclegan" else pix2pix_step_fn(c)
        times = []
        for i in range(args.warmup + args.steps):
            t0 = time.perf_counter()
            step()
            if args.device != "cpu":
                torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            if i >= args.warmup:
                times.append(dt)
        out = {"config": c["name"], "pytorch_s": round(statistics.median(times), 4),
               "times_s": [round(t, 4) for t in times], "threads": torch.get_num_threads(), "torch": torch.__version__, "device": args.device}
        if args.profile > 0:
            out["profile"] = profile_steps(step, args.profile, args.device)
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
