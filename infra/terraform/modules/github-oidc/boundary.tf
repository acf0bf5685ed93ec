# The permissions boundary every role of the stack carries: the most any of them can
# ever be allowed, whatever policy is put on it. The Terraform role creates and changes
# the stack's roles (NAME-*), so without it a role it made could be given
# AdministratorAccess and assumed; with it, the Terraform role may only create or change
# a role that carries this boundary (terraform.tf), and may not change the boundary.
# Changing the boundary is an administrator's apply, like a change to the Terraform role.
#
# It covers what the stack's roles do: the stack's services in its region (and X-Ray,
# where the collector writes traces), the stack's buckets and state, reading IAM,
# passing the stack's roles, reading its budget, and pulling the image it promotes.

locals {
  boundary_name = "${var.name}-permissions-boundary"
  boundary_arn  = "${local.name_arn_prefix}:policy/${local.boundary_name}"

  boundary_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid       = "TheStacksServicesInItsRegion"
          Effect    = "Allow"
          Action    = [for s in concat(local.stack_services, ["xray"]) : "${s}:*"]
          Resource  = "*"
          Condition = { StringEquals = { "aws:RequestedRegion" = local.region } }
        },
        local.buckets_statement,
        {
          # A plan refreshes the stack's roles, policies and OIDC provider.
          Sid      = "ReadIam"
          Effect   = "Allow"
          Action   = ["iam:Get*", "iam:List*"]
          Resource = "*"
        },
        {
          # Not the Terraform role: protect_terraform_roles_statement denies it.
          Sid      = "PassTheStacksRoles"
          Effect   = "Allow"
          Action   = "iam:PassRole"
          Resource = "${local.name_arn_prefix}:role/${var.name}-*"
        },
        {
          Sid      = "ReadTheStacksBudget"
          Effect   = "Allow"
          Action   = ["budgets:ViewBudget", "budgets:ListTagsForResource"]
          Resource = "arn:${local.partition}:budgets::${local.account_id}:budget/${var.name}-*"
        },
      ],
      [for statement in [
        {
          Sid      = "TheState"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:PutObject"]
          Resource = local.state_object_arn
        },
        local.lock_statement,
        local.list_state_statement,
        # The key may be in another region than the stack.
        local.state_key_statement,
        # What the Terraform role is denied, no role it makes may do either: a role
        # that could would be the way around the deny.
        local.protect_state_key_statement,
      ] : statement if var.terraform_state != null],
      # The source repository may be in another region than the stack.
      [for statement in local.image_source_statements : merge(statement, { Sid = "ThePromotedImagesSource" })],
      [local.protect_terraform_roles_statement],
    )
  }
}

resource "aws_iam_policy" "boundary" {
  name        = local.boundary_name
  description = "Permissions boundary of every role of ${var.name}: the most any of them may do."
  policy      = jsonencode(local.boundary_policy)

  tags = {
    Name = local.boundary_name
  }
}
