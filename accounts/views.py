from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def home(request):
    return HttpResponse("home")


@login_required
def account_list(request):
    return HttpResponse("accounts")
