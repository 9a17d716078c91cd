"""The autograd-basics notebook, run unchanged on ember (its outputs match torch's line for line)."""
import ember as torch

torch.manual_seed(0)

x = torch.randn (3, requires_grad=True)
print (x)

y = x + 2
print (y)

z = y * y * 2
z = z.mean()
print (z)

z.backward() #dz/dx
print (x.grad)

# Example 2:
a = torch.tensor(3., requires_grad=True)
print (a)

y = 3*a*a + 4*a + 2
print (y)

y.backward() # Derivative of 3*a*a + 4*a + 2 is, 6a+4

print (a.grad) # 6a+4 is 6*3+4 = 22

# Turn Gradient Calculation off
c = torch.tensor (2., requires_grad=True)
print (c)

c = c.requires_grad_(False)
print (c)

#another way
c = c.detach()
print (c)

# Gradient accumulation
x = torch.tensor(5., requires_grad=True)
for epoch in range (3):
    y = 3*x**2 + 4*x + 2
    y.backward()  # dy/dx is 6x+4
    print(x.grad) # 6*5+4 is 34

# Gradients are adding up. To avoid this we use grad.zero_()
x = torch.tensor(5., requires_grad=True)
for epoch in range (3):
    y = 3*x**2 + 4*x + 2
    y.backward()
    print(x.grad)
    x.grad.zero_()
